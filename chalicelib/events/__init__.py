"""Event topics and subscriptions (the catalogue), and what every consumer shares."""

"""The built-in classifier, kept free of AWS, HTTP and numpy: the features it reads from a text and the
linear model that scores them. Training (scikit-learn) lives in ``chalicelib.ai.training`` and is
imported only by the training job."""

"""Chat intake (seed 000): a message becomes a ticket or a reply; conversations, messages, recipients."""

from __future__ import annotations

from chalicelib.auth.roles import ADMIN, AGENT, ANY_MEMBER, REQUESTER
from chalicelib.blueprints import intake_schemas as schemas
from chalicelib.blueprints import ticket_schemas
from chalicelib.domain import chat
from chalicelib.http.pagination import PAGE_QUERY, page, start_key
from chalicelib.http.registry import RouteFamily
from chalicelib.http.responses import Reply
from chalicelib.http.schemas import list_of, named

routes = RouteFamily("intake")

WRITERS = frozenset({ADMIN, AGENT, REQUESTER})
_TEXT = {"type": "string", "minLength": 1, "maxLength": 20000}

CHAT_INPUT = named(
    "ChatMessageInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["message"],
        "properties": {"message": _TEXT, "building_id": schemas.NULLABLE_ID, "apartment_id": schemas.NULLABLE_ID},
    },
)
CHAT_REPLY = named(
    "ChatReply",
    {
        "type": "object",
        "required": ["reply", "ticket", "classification"],
        "properties": {
            "reply": {"type": "string", "description": "names the ticket's number when one was opened"},
            "ticket": {"anyOf": [schemas.TICKET_REF, {"type": "null"}]},
            "classification": schemas.CLASSIFICATION,
        },
    },
)
CONVERSATION = named(
    "ChatConversation",
    {
        "type": "object",
        "required": ["ticket", "last_message"],
        "properties": {"ticket": ticket_schemas.TICKET, "last_message": schemas.MESSAGE},
    },
)
THREAD_POST = named(
    "ChatThreadMessageInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["ticket_id", "body"],
        "properties": {"ticket_id": schemas.ID, "body": _TEXT},
    },
)
RECIPIENT = named(
    "ChatRecipient",
    {
        "type": "object",
        "required": ["id", "display_name", "categories"],
        "properties": {
            "id": {"type": "string"},
            "display_name": {"type": "string"},
            "categories": {"type": "array", "items": {"type": "string"}},
        },
    },
)


@routes.route(
    "/api/v1/chat",
    "POST",
    operation_id="sendChatMessage",
    summary="A chat message: a work order opens a classified ticket (201, the reply names it); else a reply (200)",
    roles=WRITERS,
    body=CHAT_INPUT,
    response=CHAT_REPLY,
    status=201,
    also_status=(200,),
)
def send_chat_message(request):
    body = request.body
    answer = chat.send(
        request.workspace_id,
        request.principal,
        body["message"],
        body.get("building_id"),
        body.get("apartment_id"),
        request.correlation_id,
    )
    return Reply(answer, status=201 if answer["ticket"] else 200)


@routes.route(
    "/api/v1/chat/conversations",
    "GET",
    operation_id="listChatConversations",
    summary="The caller's active tickets with their last public message, newest first",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=list_of("ChatConversationList", CONVERSATION),
)
def list_conversations(request):
    scope = chat.conversations_query(request.principal).scope(request.workspace_id)
    items, next_key = chat.conversations(
        request.workspace_id, request.principal, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "desc", {"active": True})


@routes.route(
    "/api/v1/chat/messages",
    "POST",
    operation_id="sendChatThreadMessage",
    summary="A public message on a ticket's thread (requesters: their own tickets)",
    roles=WRITERS,
    body=THREAD_POST,
    response=schemas.MESSAGE,
    status=201,
    errors=frozenset({404}),
)
def send_thread_message(request):
    message = chat.post_message(
        request.workspace_id, request.principal, request.body["ticket_id"], request.body["body"], request.correlation_id
    )
    return Reply(message, status=201)


@routes.route(
    "/api/v1/tickets/{ticket_id}/messages",
    "GET",
    operation_id="listTicketMessages",
    summary="A ticket's public thread, oldest first: its description, then public comments (never internal notes)",
    roles=ANY_MEMBER,
    query=PAGE_QUERY,
    response=list_of("ThreadMessageList", schemas.MESSAGE),
)
def list_ticket_messages(request):
    ticket_id = request.path_params["ticket_id"]
    scope = f"thread|{request.workspace_id}|{ticket_id}"
    items, next_key = chat.thread(
        request.workspace_id, request.principal, ticket_id, request.query["limit"], start_key(request, scope)
    )
    return page(request, items, next_key, scope, "created_at", "asc", {})


@routes.route(
    "/api/v1/chat/recipients",
    "GET",
    operation_id="listChatRecipients",
    summary="Staff available now (technicians marked available), optionally for one category",
    roles=ANY_MEMBER,
    query={"category": {"type": "string", "minLength": 1, "maxLength": 100}, **PAGE_QUERY},
    response=list_of("ChatRecipientList", RECIPIENT),
)
def list_recipients(request):
    category = request.query.get("category")
    scope = f"chat-recipients|{request.workspace_id}|{category or ''}"
    items, next_key = chat.recipients(request.workspace_id, category, request.query["limit"], start_key(request, scope))
    filters = {"category": category} if category else {}
    return page(request, items, next_key, scope, "id", "asc", filters)

"""template.yaml: generated from infra/ and the route registry, valid for cfn-lint and the SAM transform,
and in step with the app (routes, tables, queues, settings)."""

from __future__ import annotations

import copy
import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cfnlint.api import ManualArgs, lint
from samtranslator.translator.transform import transform

from chalicelib.app_factory import load_all_families
from chalicelib.events.catalogue import SUBSCRIPTIONS
from chalicelib.http.registry import RouteSpec, api_routes
from infra.functions import API_FUNCTIONS, CONSUMERS, SCHEDULES, STREAM_HANDLERS
from infra.queues import MAX_RECEIVE_COUNT, QUEUES
from infra.tables import TABLES
from infra.template import (
    EVENT_BUS_LOGICAL_ID,
    VISIBILITY_TO_TIMEOUT_RATIO,
    api_events,
    build_template,
    dlq_logical_id,
    queue_logical_id,
    queue_mapping_logical_id,
    render,
    routes_by_family,
    stream_mapping_logical_id,
    table_logical_id,
)

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO / "template.yaml"
ARTIFACT_URI = "s3://deskflow-artifacts/code.zip"  # the transform wants packaged code, as after `sam package`
DEFINITION_ARTIFACT_URI = "s3://deskflow-artifacts/definition.asl.json"

# Settings that are deliberately not deployed: Lambda sets the region, the endpoint is for emulators,
# and the rest have defaults that suit AWS.
SETTINGS_LEFT_TO_DEFAULTS = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "LOG_FORMAT",  # json by default, as AWS wants; console is for make run
    "OIDC_ROLES_CLAIM",
    "OIDC_WORKSPACES_CLAIM",
    "REQUIRE_IDEMPOTENCY_KEY",
    "LOG_LEVEL",
    "ALERT_TICKET_MIN_SEVERITY",  # "high" unless a deployment wants otherwise
    "DESKFLOW_LOCAL_FILES_DIR",  # make run only: where confirmed uploads are kept beside moto's memory
}
POWERTOOLS_SETTINGS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}

# Hard AWS limits the template can run into as routes are added.
CLOUDFORMATION_MAX_RESOURCES = 500
LAMBDA_RESOURCE_POLICY_MAX_BYTES = 20480
API_GATEWAY_MAX_RESOURCES = 300  # default quota of resources per REST API


class NoManagedPolicies:
    """Managed-policy loader for an offline transform: the template names no managed policy."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def committed_text() -> str:
    return TEMPLATE_PATH.read_text()


@pytest.fixture(scope="module")
def template(committed_text) -> dict:
    return yaml.safe_load(committed_text)


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


@pytest.fixture(scope="module")
def generated() -> dict:
    """A template in step with the registry by construction: the base for deliberately drifted copies."""
    return build_template()


@pytest.fixture(scope="module")
def registry() -> list[RouteSpec]:
    load_all_families()
    return api_routes()


@pytest.fixture(scope="module")
def transformed(template) -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the translator needs a region, any region
        return transform(with_packaged_code(template), {}, NoManagedPolicies())


def with_packaged_code(template: dict) -> dict:
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and resource["Properties"].get("PackageType") != "Image":
            resource["Properties"]["CodeUri"] = ARTIFACT_URI
        if resource["Type"] == "AWS::Serverless::StateMachine":
            resource["Properties"]["DefinitionUri"] = DEFINITION_ARTIFACT_URI
    return packaged


def cfn_lint_findings(template_text: str) -> list[str]:
    return [str(match) for match in lint(template_text, config=ManualArgs(regions=["us-east-1"]))]


def functions_of(resources: dict) -> dict:
    return {name: r for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}


# --- generated, committed, valid ---------------------------------------------------------------------


def test_committed_template_is_what_the_generator_produces(committed_text, generated):
    expected = render(generated)
    if committed_text != expected:
        diff = difflib.unified_diff(
            committed_text.splitlines(), expected.splitlines(), "template.yaml", "generated", lineterm=""
        )
        pytest.fail("template.yaml is stale: run `make template`\n" + "\n".join(list(diff)[:60]))


def test_template_passes_cfn_lint(committed_text):
    assert cfn_lint_findings(committed_text) == []


def test_sam_transform_expands_every_function_and_the_api(transformed, resources):
    kinds = {name: r["Type"] for name, r in transformed["Resources"].items()}
    for name in functions_of(resources):
        assert kinds[name] == "AWS::Lambda::Function"
        assert kinds[f"{name}Role"] == "AWS::IAM::Role"
    assert kinds["DeskflowApi"] == "AWS::ApiGateway::RestApi"
    assert "AWS::ApiGateway::Stage" in kinds.values()


def test_transformed_template_passes_cfn_lint(transformed):
    assert cfn_lint_findings(json.dumps(transformed)) == []


# --- route parity -------------------------------------------------------------------------------------


def declared_api_routes(template: dict) -> dict[str, set[tuple[str, str]]]:
    """(path, METHOD) of every Api event, by the route family of the function that holds it."""
    family_of = {spec["logical_id"]: family for family, spec in API_FUNCTIONS.items()}
    declared: dict[str, set[tuple[str, str]]] = {}
    for logical_id, function in functions_of(template["Resources"]).items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                route = (event["Properties"]["Path"], event["Properties"]["Method"].upper())
                declared.setdefault(family_of.get(logical_id, logical_id), set()).add(route)
    return declared


def registered_api_routes(routes: list[RouteSpec]) -> dict[str, set[tuple[str, str]]]:
    registered: dict[str, set[tuple[str, str]]] = {}
    for route in routes:
        registered.setdefault(route.family, set()).add((route.path, route.method))
    return registered


def route_drift(declared: dict, registered: dict) -> dict[str, dict[str, set]]:
    """Per family: routes the app serves that the template lacks, and template routes the app lacks."""
    drift = {}
    for family in sorted(set(declared) | set(registered)):
        missing = registered.get(family, set()) - declared.get(family, set())
        unknown = declared.get(family, set()) - registered.get(family, set())
        if missing or unknown:
            drift[family] = {"missing_from_template": missing, "not_in_app": unknown}
    return drift


def first_api_event(template: dict) -> tuple[str, str, dict]:
    for logical_id, function in sorted(functions_of(template["Resources"]).items()):
        for event_id, event in sorted(function["Properties"].get("Events", {}).items()):
            if event["Type"] == "Api":
                return logical_id, event_id, event
    raise AssertionError("the template declares no Api event")


def test_template_api_events_match_the_app_routes_of_each_family(template, registry):
    assert route_drift(declared_api_routes(template), registered_api_routes(registry)) == {}


def test_cors_preflight_routes_are_api_events(template, registry):
    preflights = {(route.path, "OPTIONS") for route in registry if route.preflight}
    declared = set().union(*declared_api_routes(template).values())
    assert preflights and preflights <= declared


def test_route_drift_detects_an_event_missing_from_the_template(generated, registry):
    drifted = copy.deepcopy(generated)
    logical_id, event_id, event = first_api_event(drifted)
    del drifted["Resources"][logical_id]["Properties"]["Events"][event_id]
    removed = (event["Properties"]["Path"], event["Properties"]["Method"].upper())

    drift = route_drift(declared_api_routes(drifted), registered_api_routes(registry))

    assert [entry["missing_from_template"] for entry in drift.values()] == [{removed}]


def test_route_drift_detects_an_event_the_app_does_not_serve(generated, registry):
    drifted = copy.deepcopy(generated)
    logical_id, _, event = first_api_event(drifted)
    stray = copy.deepcopy(event)
    stray["Properties"]["Path"] = "/api/v1/no-such-route"
    drifted["Resources"][logical_id]["Properties"]["Events"]["Stray"] = stray

    drift = route_drift(declared_api_routes(drifted), registered_api_routes(registry))

    assert [entry["not_in_app"] for entry in drift.values()] == [{("/api/v1/no-such-route", "GET")}]


def test_no_route_is_claimed_by_two_families(registry):
    owners: dict[tuple[str, str], set[str]] = {}
    for route in registry:
        owners.setdefault((route.path, route.method), set()).add(route.family)
    assert {route: families for route, families in owners.items() if len(families) > 1} == {}


def test_sibling_path_parameters_share_one_name(registry):
    # API Gateway refuses /x/{id} next to /x/{ticket_id}: one variable child per resource.
    variable_children: dict[str, set[str]] = {}
    for route in registry:
        segments = route.path.strip("/").split("/")
        for depth, segment in enumerate(segments):
            if segment.startswith("{"):
                variable_children.setdefault("/".join(segments[:depth]), set()).add(segment)
    assert {parent: names for parent, names in variable_children.items() if len(names) > 1} == {}


def test_every_route_family_has_a_function(registry):
    assert {route.family for route in registry} <= set(API_FUNCTIONS)


def test_routes_of_an_unknown_family_are_refused():
    with pytest.raises(ValueError, match="no entry in infra.functions.API_FUNCTIONS"):
        routes_by_family([RouteSpec(family="nonexistent", path="/api/v1/x", method="GET")])


def test_routes_whose_event_ids_would_collide_are_refused():
    routes = [RouteSpec(family="system", path=path, method="GET") for path in ("/api/v1/a-b", "/api/v1/a_b")]
    with pytest.raises(ValueError, match="GetApiV1AB"):
        api_events(routes)


def test_api_event_ids_name_method_and_path():
    events = api_events([RouteSpec(family="tickets", path="/api/v1/tickets/{id}/comments", method="POST")])
    assert list(events) == ["PostApiV1TicketsByIdComments"]


# --- hard AWS limits ------------------------------------------------------------------------------------


def test_stack_stays_under_the_cloudformation_resource_limit(transformed):
    assert len(transformed["Resources"]) < CLOUDFORMATION_MAX_RESOURCES


def estimated_permission_statement(logical_id: str, permission: dict) -> str:
    """The statement Lambda stores for one API permission, with long stand-ins for what CloudFormation names
    (a 32-character stack, a 64-character function, a 14-character region; the Sid capped at 100)."""
    source_arn, _ = permission["Properties"]["SourceArn"]["Fn::Sub"]
    source_arn = (
        source_arn.replace("${AWS::Region}", "ap-southeast-2")
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${__ApiId__}", "a1b2c3d4e5")
        .replace("${__Stage__}", "*")
    )
    statement = {
        "Sid": f"{'s' * 32}-{logical_id}-ABCDEFGHIJKL"[:100],
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:ap-southeast-2:123456789012:function:{'f' * 64}",
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }
    return json.dumps(statement, separators=(",", ":"))


def test_each_function_resource_policy_fits_the_lambda_limit(transformed):
    # SAM adds one permission per Api event, and Lambda caps a function's resource policy at 20 KB: about
    # 40 routes (preflights included) per function. Past that, split the family.
    policy_bytes: dict[str, int] = {}
    for logical_id, resource in transformed["Resources"].items():
        properties = resource["Properties"]
        if resource["Type"] == "AWS::Lambda::Permission" and properties["Principal"] == "apigateway.amazonaws.com":
            function = properties["FunctionName"]["Ref"]
            statement = estimated_permission_statement(logical_id, resource)
            policy_bytes[function] = policy_bytes.get(function, len('{"Version":"2012-10-17","Statement":[]}')) + len(
                statement
            )
    assert {name: size for name, size in policy_bytes.items() if size >= LAMBDA_RESOURCE_POLICY_MAX_BYTES} == {}


def test_rest_api_stays_under_the_resource_quota(template):
    resource_paths = set()
    for routes in declared_api_routes(template).values():
        for path, _ in routes:
            segments = path.strip("/").split("/")
            resource_paths.update("/".join(segments[: depth + 1]) for depth in range(len(segments)))
    assert len(resource_paths) < API_GATEWAY_MAX_RESOURCES


# --- API Gateway's own answers ----------------------------------------------------------------------------


def gateway_response_body(template: dict, response_type: str) -> dict:
    response = template["Resources"]["DeskflowApi"]["Properties"]["GatewayResponses"][response_type]
    body = response["ResponseTemplates"]["application/json"]
    return json.loads(body.replace("$context.error.messageString", '"a gateway message"'))


def test_unknown_route_answers_404_in_the_error_shape(template):
    responses = template["Resources"]["DeskflowApi"]["Properties"]["GatewayResponses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == 404
    assert gateway_response_body(template, "MISSING_AUTHENTICATION_TOKEN") == {
        "error": "route not found",
        "code": "not_found",
        "details": {},
    }


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"])
def test_gateway_errors_use_the_error_shape(template, response_type):
    body = gateway_response_body(template, response_type)
    assert set(body) == {"error", "code", "details"}
    assert body["error"] == "a gateway message" and body["details"] == {}


# --- functions, settings -------------------------------------------------------------------------------


def test_function_environment_maps_settings_that_the_app_reads(template):
    read_by_settings = set(re.findall(r'env\.get\("([A-Z0-9_]+)"', (REPO / "chalicelib" / "settings.py").read_text()))
    deployed = set(template["Globals"]["Function"]["Environment"]["Variables"])
    assert deployed - POWERTOOLS_SETTINGS <= read_by_settings, "a deployed variable the app never reads"
    assert read_by_settings - SETTINGS_LEFT_TO_DEFAULTS <= deployed, "a setting the template does not deploy"


def test_files_bucket_name_reaches_the_functions(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["DESKFLOW_BUCKET"] == {"Ref": "FilesBucket"}


# Resolved in a fresh interpreter, as Lambda does: only the entry modules are imported, not whatever other
# tests in this worker imported first (app.py builds every family into one app).
RESOLVE_HANDLERS = """
import importlib, json, sys
unresolved = []
for handler in json.loads(sys.argv[1]):
    module_name, attribute = handler.rsplit(".", 1)
    try:
        target = getattr(importlib.import_module(module_name), attribute, None)
    except Exception as error:
        target, handler = None, f"{handler} ({type(error).__name__}: {error})"
    if not callable(target):
        unresolved.append(handler)
print(json.dumps(unresolved))
"""


def handler_of(function: dict) -> str:
    properties = function["Properties"]
    if properties.get("PackageType") == "Image":
        return properties["ImageConfig"]["Command"][0]
    return properties["Handler"]


def test_every_function_handler_resolves_to_a_callable(resources):
    handlers = sorted(handler_of(function) for function in functions_of(resources).values())

    result = subprocess.run(
        [sys.executable, "-c", RESOLVE_HANDLERS, json.dumps(handlers)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_every_declared_function_is_in_the_template(resources):
    declared = [*API_FUNCTIONS.values(), *CONSUMERS.values(), *SCHEDULES.values(), *STREAM_HANDLERS.values()]
    assert set(functions_of(resources)) == {spec["logical_id"] for spec in declared}


def test_each_consumer_reads_its_queue_reporting_partial_failures(resources):
    for consumer in CONSUMERS.values():
        mapping = resources[queue_mapping_logical_id(consumer["logical_id"])]
        assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
        assert mapping["Properties"]["FunctionName"] == {"Ref": consumer["logical_id"]}
        assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_logical_id(consumer["queue"]), "Arn"]}
        assert mapping["Properties"]["BatchSize"] == consumer["batch_size"]
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_each_schedule_runs_at_its_rate(resources):
    for schedule in SCHEDULES.values():
        events = resources[schedule["logical_id"]]["Properties"]["Events"]
        assert events["Schedule"] == {"Type": "Schedule", "Properties": {"Schedule": schedule["rate"]}}


def test_the_outbox_relay_is_woken_by_new_events_on_the_events_table_stream(resources):
    relay = STREAM_HANDLERS["outbox-relay"]
    mapping = resources[stream_mapping_logical_id(relay["logical_id"])]
    table = resources[table_logical_id(relay["table"])]["Properties"]

    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"]["FunctionName"] == {"Ref": relay["logical_id"]}
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [table_logical_id("events"), "StreamArn"]}
    assert mapping["Properties"]["StartingPosition"] == "LATEST"
    assert table["StreamSpecification"]["StreamViewType"] in {"NEW_IMAGE", "NEW_AND_OLD_IMAGES"}
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["Properties"]["FilterCriteria"]["Filters"]]
    assert pattern["eventName"] == ["INSERT"]


def test_the_relay_may_read_only_its_own_tables_stream(resources):
    relay = STREAM_HANDLERS["outbox-relay"]
    statements = [
        statement
        for policy in resources[relay["logical_id"]]["Properties"]["Policies"]
        if "Statement" in policy
        for statement in policy["Statement"]
    ]
    readers = [s for s in statements if "dynamodb:GetRecords" in s["Action"]]

    assert [s["Resource"] for s in readers] == [{"Fn::GetAtt": [table_logical_id("events"), "StreamArn"]}]
    assert resources[relay["logical_id"]]["Properties"].get("Events") is None


def test_functions_that_publish_may_put_events_on_the_bus(resources):
    for logical_id in (SCHEDULES["outbox-publisher"]["logical_id"], STREAM_HANDLERS["outbox-relay"]["logical_id"]):
        policies = resources[logical_id]["Properties"]["Policies"]
        assert {"EventBridgePutEventsPolicy": {"EventBusName": {"Ref": EVENT_BUS_LOGICAL_ID}}} in policies


# --- event bus and subscriptions ---------------------------------------------------------------------


def subscription_routes(resources: dict) -> dict[str, dict]:
    """What the template routes from the bus: per rule name, its pattern, bus, target queues and the
    rule named in each target queue's policy."""
    allowed_by_policy: dict[str, set[str]] = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::SQS::QueuePolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                (rule_id, _) = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"]
                for queue in resource["Properties"]["Queues"]:
                    allowed_by_policy.setdefault(queue["Ref"], set()).add(rule_id)
    routes = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Events::Rule" or "EventBusName" not in resource["Properties"]:
            continue
        properties = resource["Properties"]
        queues = [target["Arn"]["Fn::GetAtt"][0] for target in properties["Targets"]]
        routes[properties["Name"]["Fn::Sub"]] = {
            "pattern": properties["EventPattern"],
            "bus": properties["EventBusName"],
            "queues": queues,
            "policy_allows_rule": all(logical_id in allowed_by_policy.get(queue, set()) for queue in queues),
        }
    return routes


def catalogue_routes() -> dict[str, dict]:
    return {
        "${TablePrefix}-" + name: {
            "pattern": subscription.event_pattern(),
            "bus": {"Ref": EVENT_BUS_LOGICAL_ID},
            "queues": [queue_logical_id(subscription.queue)],
            "policy_allows_rule": True,
        }
        for name, subscription in SUBSCRIPTIONS.items()
    }


def test_each_catalogue_subscription_is_a_rule_on_the_bus_sending_to_its_own_queue(resources):
    assert subscription_routes(resources) == catalogue_routes()
    assert resources[EVENT_BUS_LOGICAL_ID]["Properties"]["Name"] == {"Fn::Sub": "${TablePrefix}-events"}


def test_subscription_parity_detects_a_rule_whose_queue_policy_is_missing(generated):
    drifted = copy.deepcopy(generated)
    policies = [name for name, r in drifted["Resources"].items() if r["Type"] == "AWS::SQS::QueuePolicy"]
    del drifted["Resources"][policies[0]]

    assert subscription_routes(drifted["Resources"]) != catalogue_routes()


# --- tables, queues, bucket ------------------------------------------------------------------------------


def by_name(items: list[dict], key: str) -> dict:
    return {item[key]: item for item in items}


@pytest.mark.parametrize("short_name", sorted(TABLES))
def test_table_keys_indexes_ttl_and_stream_match_infra(resources, short_name):
    spec = TABLES[short_name]
    table = resources[table_logical_id(short_name)]["Properties"]

    assert table["TableName"] == {"Fn::Sub": "${TablePrefix}-" + short_name}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == spec["KeySchema"]
    assert by_name(table["AttributeDefinitions"], "AttributeName") == by_name(
        spec["AttributeDefinitions"], "AttributeName"
    )
    assert by_name(table.get("GlobalSecondaryIndexes", []), "IndexName") == by_name(
        spec.get("GlobalSecondaryIndexes", []), "IndexName"
    )
    expected_ttl = spec.get("TimeToLiveAttribute")
    assert table.get("TimeToLiveSpecification") == (
        {"AttributeName": expected_ttl, "Enabled": True} if expected_ttl else None
    )
    expected_stream = spec.get("StreamSpecification", {}).get("StreamViewType")
    assert table.get("StreamSpecification", {}).get("StreamViewType") == expected_stream
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}


@pytest.mark.parametrize("short_name", sorted(QUEUES))
def test_queue_redrives_to_its_dead_letter_queue(resources, short_name):
    queue = resources[queue_logical_id(short_name)]["Properties"]
    dlq = resources[dlq_logical_id(short_name)]["Properties"]

    assert queue["QueueName"] == {"Fn::Sub": "${TablePrefix}-" + short_name}
    assert dlq["QueueName"] == {"Fn::Sub": "${TablePrefix}-" + short_name + "-dlq"}
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_logical_id(short_name), "Arn"]},
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    assert queue["VisibilityTimeout"] == QUEUES[short_name]["visibility_timeout"]


@pytest.mark.parametrize("name", sorted(CONSUMERS))
def test_queue_visibility_covers_six_consumer_timeouts(resources, name):
    visibility = resources[queue_logical_id(CONSUMERS[name]["queue"])]["Properties"]["VisibilityTimeout"]
    timeout = resources[CONSUMERS[name]["logical_id"]]["Properties"]["Timeout"]
    assert timeout >= 1
    assert visibility >= VISIBILITY_TO_TIMEOUT_RATIO * timeout


def test_files_bucket_is_encrypted_private_and_per_account(resources):
    bucket = resources["FilesBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "${TablePrefix}-files-${AWS::AccountId}"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4


def test_api_url_is_an_output(template):
    assert "DeskflowApi" in template["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"]

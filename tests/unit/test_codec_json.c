/* test_codec_json.c - the awsJson protocol (protocol/codec_json.c), both
 * directions, through the public codec.h entry points on the real generated
 * models. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* ---- helpers ------------------------------------------------------------------ */

static const struct dd_service_model *model(const char *id)
{
    const struct dd_service_model *svc = model_find(id);
    ck_assert_msg(svc != NULL, "model %s not generated", id);
    ck_assert_int_eq(svc->protocol, DD_PROTO_JSON);
    return svc;
}

static const struct dd_operation *op_of(const struct dd_service_model *svc, const char *name)
{
    const struct dd_operation *op = model_operation(svc, name);
    ck_assert_msg(op != NULL, "%s has no operation %s", svc->id, name);
    return op;
}

/* New reference to the JSON text `text`; fails the test when it is not JSON. */
static json_t *json_of(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    ck_assert_msg(v != NULL, "bad test JSON: %s", jerr.text);
    return v;
}

static void assert_json_eq(json_t *got, json_t *want)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS), *w = json_dumps(want, JSON_SORT_KEYS);
        ck_abort_msg("JSON differs\n got: %s\nwant: %s", g ? g : "NULL", w ? w : "NULL");
    }
}

/* Server parse of a body given as text: new reference or NULL with err. */
static json_t *parse_request(const char *svc_id, const char *op, const char *body, size_t len, struct dd_error *err)
{
    const struct dd_service_model *svc = model(svc_id);
    dd_err_clear(err);
    return codec_parse_request(svc, op_of(svc, op), body, len, err);
}

static void assert_serialization_error(const char *svc_id, const char *op, const char *body, size_t len,
                                       const char *message_part)
{
    struct dd_error err;
    json_t *in = parse_request(svc_id, op, body, len, &err);
    ck_assert_msg(in == NULL, "accepted: %.*s", (int)len, body);
    ck_assert_str_eq(err.code, "SerializationException");
    ck_assert_int_eq(err.http_status, 400);
    ck_assert(err.sender);
    if (message_part)
        ck_assert_msg(strstr(err.message, message_part) != NULL, "message '%s' lacks '%s'", err.message,
                      message_part);
}

/*
 * Client -> server: writes `input_text` as a request and parses it back on the
 * server side; both must give `want_text` (the input minus what the model
 * does not know). Returns the wire body (caller frees).
 */
static char *request_round_trip(const char *svc_id, const char *op_name, const char *input_text,
                                const char *want_text)
{
    const struct dd_service_model *svc = model(svc_id);
    const struct dd_operation *op = op_of(svc, op_name);
    json_t *input = json_of(input_text);
    json_t *want = json_of(want_text ? want_text : input_text);
    struct dd_buf body = {0};
    const char *content_type = NULL;
    char *target = NULL;
    struct dd_error err;
    char expected_target[128];

    dd_err_clear(&err);
    ck_assert_int_eq(codec_write_request(svc, op, input, &body, &content_type, &target, &err), 0);
    ck_assert_str_eq(content_type, "application/x-amz-json-1.1");
    snprintf(expected_target, sizeof expected_target, "%s.%s", svc->target_prefix, op_name);
    ck_assert_str_eq(target, expected_target);

    json_t *parsed = codec_parse_request(svc, op, body.data, body.len, &err);
    ck_assert_msg(parsed != NULL, "%s: %s (body %s)", err.code, err.message, body.data);
    assert_json_eq(parsed, want);

    json_decref(parsed);
    json_decref(input);
    json_decref(want);
    free(target);
    return buf_steal(&body);
}

/* Server -> client: writes `output_text` as the response and parses it back. */
static char *response_round_trip(const char *svc_id, const char *op_name, const char *output_text,
                                 const char *want_text)
{
    const struct dd_service_model *svc = model(svc_id);
    const struct dd_operation *op = op_of(svc, op_name);
    json_t *output = json_of(output_text);
    json_t *want = json_of(want_text ? want_text : output_text);
    struct dd_buf body = {0};
    const char *content_type = NULL;
    struct dd_error err;

    codec_write_response(svc, op, output, "req-1", &body, &content_type);
    ck_assert_str_eq(content_type, "application/x-amz-json-1.1");
    dd_err_clear(&err);
    json_t *parsed = codec_parse_response(svc, op, 200, body.data, body.len, &err);
    ck_assert_msg(parsed != NULL, "%s: %s (body %s)", err.code, err.message, body.data);
    assert_json_eq(parsed, want);

    json_decref(parsed);
    json_decref(output);
    json_decref(want);
    return buf_steal(&body);
}

/* ---- requests ----------------------------------------------------------------------- */

START_TEST(ssm_put_parameter_request)
{
    char *body = request_round_trip(
        "ssm", "PutParameter",
        "{\"Name\": \"/app/db/url\", \"Value\": \"postgres://u:p@h/db?x=\\\"1\\\"\\n\\t\\u00e9\\u2603\","
        " \"Type\": \"SecureString\", \"Overwrite\": false,"
        " \"Tags\": [{\"Key\": \"env\", \"Value\": \"prod\"}, {\"Key\": \"team\", \"Value\": \"\"}],"
        " \"Tier\": \"Standard\"}",
        NULL);
    /* compact, escapes what JSON must, UTF-8 passes through */
    ck_assert_msg(strstr(body, "\"Name\":\"/app/db/url\"") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "x=\\\"1\\\"\\n\\t\xc3\xa9\xe2\x98\x83\"") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\"Overwrite\":false") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\"Tags\":[{\"Key\":\"env\",\"Value\":\"prod\"},{\"Key\":\"team\",\"Value\":\"\"}]")
                      != NULL,
                  "%s", body);
    ck_assert_ptr_null(strchr(body, ' '));
    free(body);
}
END_TEST

START_TEST(ecs_nested_request_drops_unknown_members)
{
    char *body = request_round_trip(
        "ecs", "RegisterTaskDefinition",
        "{\"family\": \"web\", \"networkMode\": \"awsvpc\", \"requiresCompatibilities\": [\"FARGATE\"],"
        " \"cpu\": \"256\", \"memory\": \"512\", \"bogus\": {\"x\": 1},"
        " \"containerDefinitions\": [{\"name\": \"app\", \"image\": \"nginx:1\", \"essential\": true,"
        "   \"cpu\": 128, \"memoryReservation\": 256, \"unknownField\": 3,"
        "   \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 80, \"protocol\": \"tcp\"}],"
        "   \"environment\": [{\"name\": \"A\", \"value\": \"1\"}],"
        "   \"dockerLabels\": {\"com.example\": \"yes\", \"empty\": \"\"},"
        "   \"logConfiguration\": {\"logDriver\": \"awslogs\","
        "     \"options\": {\"awslogs-group\": \"/ecs/web\", \"awslogs-region\": \"us-east-1\"}},"
        "   \"healthCheck\": {\"command\": [\"CMD-SHELL\", \"curl -f http://localhost/\"],"
        "     \"interval\": 30, \"retries\": 3}}],"
        " \"tags\": [{\"key\": \"k\", \"value\": \"v\"}]}",
        "{\"family\": \"web\", \"networkMode\": \"awsvpc\", \"requiresCompatibilities\": [\"FARGATE\"],"
        " \"cpu\": \"256\", \"memory\": \"512\","
        " \"containerDefinitions\": [{\"name\": \"app\", \"image\": \"nginx:1\", \"essential\": true,"
        "   \"cpu\": 128, \"memoryReservation\": 256,"
        "   \"portMappings\": [{\"containerPort\": 80, \"hostPort\": 80, \"protocol\": \"tcp\"}],"
        "   \"environment\": [{\"name\": \"A\", \"value\": \"1\"}],"
        "   \"dockerLabels\": {\"com.example\": \"yes\", \"empty\": \"\"},"
        "   \"logConfiguration\": {\"logDriver\": \"awslogs\","
        "     \"options\": {\"awslogs-group\": \"/ecs/web\", \"awslogs-region\": \"us-east-1\"}},"
        "   \"healthCheck\": {\"command\": [\"CMD-SHELL\", \"curl -f http://localhost/\"],"
        "     \"interval\": 30, \"retries\": 3}}],"
        " \"tags\": [{\"key\": \"k\", \"value\": \"v\"}]}");
    ck_assert_ptr_null(strstr(body, "bogus"));
    ck_assert_ptr_null(strstr(body, "unknownField"));
    free(body);
}
END_TEST

START_TEST(logs_long_timestamps_request)
{
    /* CloudWatch Logs carries event times as longs of epoch milliseconds */
    char *body = request_round_trip(
        "logs", "PutLogEvents",
        "{\"logGroupName\": \"/ecs/web\", \"logStreamName\": \"app/1\","
        " \"logEvents\": [{\"timestamp\": 1700000000123, \"message\": \"hello\"},"
        "                 {\"timestamp\": 1700000000999, \"message\": \"w\\u00f6rld\"}]}",
        NULL);
    ck_assert_msg(strstr(body, "\"timestamp\":1700000000123") != NULL, "%s", body);
    free(body);
}
END_TEST

START_TEST(ecs_doubles_and_ecr_blobs_request)
{
    char *body = request_round_trip("ecs", "CreateTaskSet",
                                    "{\"service\": \"s\", \"cluster\": \"c\", \"taskDefinition\": \"td:1\","
                                    " \"scale\": {\"value\": 50.0, \"unit\": \"PERCENT\"}}",
                                    NULL);
    /* a whole double still reads as a double */
    ck_assert_msg(strstr(body, "\"value\":50.0") != NULL, "%s", body);
    free(body);

    body = request_round_trip("ecs", "CreateTaskSet",
                              "{\"service\": \"s\", \"cluster\": \"c\", \"taskDefinition\": \"td:1\","
                              " \"scale\": {\"value\": 12.5, \"unit\": \"PERCENT\"}}",
                              NULL);
    ck_assert_msg(strstr(body, "\"value\":12.5") != NULL, "%s", body);
    free(body);

    body = request_round_trip("ecr", "UploadLayerPart",
                              "{\"repositoryName\": \"r\", \"uploadId\": \"u\", \"partFirstByte\": 0,"
                              " \"partLastByte\": 4, \"layerPartBlob\": \"aGVsbG8=\"}",
                              NULL);
    ck_assert_msg(strstr(body, "\"layerPartBlob\":\"aGVsbG8=\"") != NULL, "%s", body);
    free(body);
}
END_TEST

START_TEST(empty_and_null_inputs)
{
    const struct dd_service_model *svc = model("ssm");
    const struct dd_operation *op = op_of(svc, "DescribeParameters");
    struct dd_buf body = {0};
    const char *ct;
    char *target = NULL;
    struct dd_error err;

    ck_assert_int_eq(codec_write_request(svc, op, NULL, &body, &ct, &target, &err), 0);
    ck_assert_str_eq(body.data, "{}");
    ck_assert_str_eq(target, "AmazonSSM.DescribeParameters");
    free(target);
    buf_free(&body);

    /* an empty body is an empty input */
    json_t *in = parse_request("ssm", "DescribeParameters", "", 0, &err);
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(json_object_size(in), 0);
    json_decref(in);

    /* null means absent, at any depth */
    const char *text = "{\"MaxResults\": null, \"ParameterFilters\": [{\"Key\": \"Name\", \"Option\": null,"
                       " \"Values\": [\"a\", null]}], \"NextToken\": \"t\"}";
    in = parse_request("ssm", "DescribeParameters", text, strlen(text), &err);
    ck_assert_ptr_nonnull(in);
    json_t *want = json_of("{\"ParameterFilters\": [{\"Key\": \"Name\", \"Values\": [\"a\"]}], \"NextToken\": \"t\"}");
    assert_json_eq(in, want);
    json_decref(want);
    json_decref(in);
}
END_TEST

START_TEST(write_request_refuses_wrong_types)
{
    const struct dd_service_model *svc = model("ssm");
    const struct dd_operation *op = op_of(svc, "DescribeParameters");
    json_t *input = json_of("{\"ParameterFilters\": [{\"Key\": \"Name\", \"Values\": [\"a\", 7]}]}");
    struct dd_buf body = {0};
    const char *ct;
    char *target = (char *)"untouched";
    struct dd_error err;

    dd_err_clear(&err);
    ck_assert_int_eq(codec_write_request(svc, op, input, &body, &ct, &target, &err), -1);
    ck_assert_ptr_null(target);
    ck_assert_str_eq(err.code, "ParamValidationError");
    ck_assert_str_eq(err.message,
                     "Invalid type for parameter ParameterFilters[0].Values[1]: expected a string but found a number");
    buf_free(&body);
    json_decref(input);
}
END_TEST

/* ---- bad requests -------------------------------------------------------------------- */

START_TEST(malformed_json_is_a_serialization_exception)
{
    const char *bodies[] = {"{", "{\"Name\": }", "{\"Name\": \"a\",}", "nope", "{\"Name\": \"a\"} trailing",
                            "   ", "{\"MaxResults\": 123456789012345678901234567890}"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
        assert_serialization_error("ssm", "DescribeParameters", bodies[i], strlen(bodies[i]),
                                   "Unable to parse the body as JSON");
    /* a NUL inside the body */
    assert_serialization_error("ssm", "DescribeParameters", "{\"NextToken\": \"a\0b\"}", 20, NULL);
}
END_TEST

START_TEST(non_object_body_is_a_serialization_exception)
{
    assert_serialization_error("ssm", "GetParameter", "[]", 2, "The body must be a JSON object, not a JSON array");
    assert_serialization_error("ssm", "GetParameter", "\"x\"", 3, "The body must be a JSON object, not a string");
    assert_serialization_error("ssm", "GetParameter", "42", 2, "The body must be a JSON object, not a number");
    assert_serialization_error("ssm", "GetParameter", "null", 4, "The body must be a JSON object, not null");
}
END_TEST

START_TEST(invalid_utf8_is_a_serialization_exception)
{
    const char overlong[] = "{\"Name\": \"\xc0\xaf\"}";
    const char truncated[] = "{\"Name\": \"\xe2\x98\"}";
    const char lone[] = "{\"Name\": \"\xff\"}";
    assert_serialization_error("ssm", "GetParameter", overlong, sizeof overlong - 1, "Unable to parse");
    assert_serialization_error("ssm", "GetParameter", truncated, sizeof truncated - 1, "Unable to parse");
    assert_serialization_error("ssm", "GetParameter", lone, sizeof lone - 1, "Unable to parse");
}
END_TEST

START_TEST(wrong_types_name_the_member)
{
    struct {
        const char *op, *body, *message;
    } cases[] = {
        {"GetParameter", "{\"Name\": 5}",
         "Invalid value for member 'Name': expected a string but found a number"},
        {"GetParameter", "{\"Name\": \"/a\", \"WithDecryption\": \"true\"}",
         "Invalid value for member 'WithDecryption': expected a boolean but found a string"},
        {"DescribeParameters", "{\"MaxResults\": 1.5}",
         "Invalid value for member 'MaxResults': expected an integer but found a number"},
        {"DescribeParameters", "{\"MaxResults\": \"10\"}",
         "Invalid value for member 'MaxResults': expected an integer but found a string"},
        {"DescribeParameters", "{\"MaxResults\": 4294967296}",
         "Invalid value for member 'MaxResults': the number is out of range for an integer"},
        {"DescribeParameters", "{\"ParameterFilters\": {\"Key\": \"Name\"}}",
         "Invalid value for member 'ParameterFilters': expected a list (JSON array) but found a JSON object"},
        {"DescribeParameters", "{\"ParameterFilters\": [{\"Key\": \"Name\", \"Values\": [\"a\", [\"b\"]]}]}",
         "Invalid value for member 'ParameterFilters[0].Values[1]': expected a string but found a JSON array"},
        {"DescribeParameters", "{\"ParameterFilters\": [\"Name\"]}",
         "Invalid value for member 'ParameterFilters[0]': expected a structure (JSON object) but found a string"},
        {"GetParametersByPath", "{\"Path\": \"/\", \"Recursive\": 1}",
         "Invalid value for member 'Recursive': expected a boolean but found a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct dd_error err;
        json_t *in = parse_request("ssm", cases[i].op, cases[i].body, strlen(cases[i].body), &err);
        ck_assert_msg(in == NULL, "accepted %s", cases[i].body);
        ck_assert_str_eq(err.code, "SerializationException");
        ck_assert_int_eq(err.http_status, 400);
        ck_assert_str_eq(err.message, cases[i].message);
    }

    /* maps: values are checked, the key names the place */
    const char *ecs = "{\"family\": \"f\", \"containerDefinitions\": [{\"name\": \"a\","
                      " \"dockerLabels\": {\"ok\": \"1\", \"bad\": 2}}]}";
    struct dd_error err;
    ck_assert_ptr_null(parse_request("ecs", "RegisterTaskDefinition", ecs, strlen(ecs), &err));
    ck_assert_str_eq(err.message, "Invalid value for member 'containerDefinitions[0].dockerLabels.bad': "
                                  "expected a string but found a number");

    /* blobs must be base64 */
    const char *ecr = "{\"repositoryName\": \"r\", \"uploadId\": \"u\", \"partFirstByte\": 0,"
                      " \"partLastByte\": 4, \"layerPartBlob\": \"not base64!\"}";
    ck_assert_ptr_null(parse_request("ecr", "UploadLayerPart", ecr, strlen(ecr), &err));
    ck_assert_str_eq(err.message, "Invalid value for member 'layerPartBlob': the string is not valid base64");
}
END_TEST

START_TEST(timestamps_accept_numbers_and_iso8601)
{
    struct dd_error err;
    /* UpdateOpsItem's Planned and Actual times are timestamps */
    const char *text;
    json_t *in;
    text = "{\"OpsItemId\": \"oi-1\", \"PlannedStartTime\": 1700000000, \"PlannedEndTime\": 1700000000.25,"
           " \"ActualStartTime\": \"2023-11-14T22:13:20Z\"}";
    in = parse_request("ssm", "UpdateOpsItem", text, strlen(text), &err);
    ck_assert_msg(in != NULL, "%s", err.message);
    ck_assert(json_is_integer(json_object_get(in, "PlannedStartTime")));
    ck_assert_int_eq(json_integer_value(json_object_get(in, "PlannedStartTime")), 1700000000);
    ck_assert(json_is_real(json_object_get(in, "PlannedEndTime")));
    ck_assert_double_eq(json_real_value(json_object_get(in, "PlannedEndTime")), 1700000000.25);
    ck_assert_int_eq(json_integer_value(json_object_get(in, "ActualStartTime")), 1700000000);
    json_decref(in);

    text = "{\"OpsItemId\": \"oi-1\", \"PlannedStartTime\": \"yesterday\"}";
    ck_assert_ptr_null(parse_request("ssm", "UpdateOpsItem", text, strlen(text), &err));
    ck_assert_str_eq(err.message, "Invalid value for member 'PlannedStartTime': the string is not a timestamp");
    text = "{\"OpsItemId\": \"oi-1\", \"PlannedStartTime\": true}";
    ck_assert_ptr_null(parse_request("ssm", "UpdateOpsItem", text, strlen(text), &err));
    ck_assert_str_eq(err.message, "Invalid value for member 'PlannedStartTime': "
                                  "expected a timestamp (epoch seconds) but found a boolean");
}
END_TEST

START_TEST(deep_nesting_never_crashes)
{
    /* deeper than jansson accepts, and deep inside a document-free shape */
    struct dd_buf b = {0};
    struct dd_error err;
    buf_puts(&b, "{\"ParameterFilters\": ");
    for (int i = 0; i < 5000; i++)
        buf_putc(&b, '[');
    json_t *in = parse_request("ssm", "DescribeParameters", b.data, b.len, &err);
    ck_assert_ptr_null(in);
    ck_assert_str_eq(err.code, "SerializationException");
    buf_free(&b);
}
END_TEST

/* ---- responses ------------------------------------------------------------------------- */

START_TEST(ecs_describe_services_response)
{
    char *body = response_round_trip(
        "ecs", "DescribeServices",
        "{\"services\": [{\"serviceArn\": \"arn:aws:ecs:us-east-1:000000000000:service/c/web\","
        "   \"serviceName\": \"web\", \"status\": \"ACTIVE\", \"desiredCount\": 2, \"runningCount\": 1,"
        "   \"createdAt\": 1700000000.5, \"enableECSManagedTags\": false,"
        "   \"loadBalancers\": [{\"targetGroupArn\": \"arn:tg\", \"containerName\": \"app\", \"containerPort\": 80}],"
        "   \"deployments\": [{\"id\": \"ecs-svc/1\", \"status\": \"PRIMARY\", \"createdAt\": 1700000000,"
        "     \"updatedAt\": 1700000123.75, \"rolloutState\": \"COMPLETED\"}],"
        "   \"taskSets\": [{\"id\": \"ts-1\", \"scale\": {\"value\": 100.0, \"unit\": \"PERCENT\"},"
        "     \"computedDesiredCount\": 2}],"
        "   \"events\": [{\"id\": \"e1\", \"createdAt\": 1700000001,"
        "     \"message\": \"(service web) has reached a steady state.\"}],"
        "   \"internalOnly\": \"dropped\"}],"
        " \"failures\": [{\"arn\": \"arn:x\", \"reason\": \"MISSING\"}], \"extra\": 1}",
        "{\"services\": [{\"serviceArn\": \"arn:aws:ecs:us-east-1:000000000000:service/c/web\","
        "   \"serviceName\": \"web\", \"status\": \"ACTIVE\", \"desiredCount\": 2, \"runningCount\": 1,"
        "   \"createdAt\": 1700000000.5, \"enableECSManagedTags\": false,"
        "   \"loadBalancers\": [{\"targetGroupArn\": \"arn:tg\", \"containerName\": \"app\", \"containerPort\": 80}],"
        "   \"deployments\": [{\"id\": \"ecs-svc/1\", \"status\": \"PRIMARY\", \"createdAt\": 1700000000,"
        "     \"updatedAt\": 1700000123.75, \"rolloutState\": \"COMPLETED\"}],"
        "   \"taskSets\": [{\"id\": \"ts-1\", \"scale\": {\"value\": 100.0, \"unit\": \"PERCENT\"},"
        "     \"computedDesiredCount\": 2}],"
        "   \"events\": [{\"id\": \"e1\", \"createdAt\": 1700000001,"
        "     \"message\": \"(service web) has reached a steady state.\"}]}],"
        " \"failures\": [{\"arn\": \"arn:x\", \"reason\": \"MISSING\"}]}");
    /* timestamps as epoch seconds, fractional only when they are */
    ck_assert_msg(strstr(body, "\"createdAt\":1700000000.5,") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\"createdAt\":1700000000,") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\"value\":100.0") != NULL, "%s", body);
    ck_assert_ptr_null(strstr(body, "internalOnly"));
    ck_assert_ptr_null(strstr(body, "extra"));
    free(body);
}
END_TEST

START_TEST(ssm_get_parameters_response)
{
    char *body = response_round_trip(
        "ssm", "GetParametersByPath",
        "{\"Parameters\": [{\"Name\": \"/a/b\", \"Type\": \"String\", \"Value\": \"v\", \"Version\": 3,"
        "   \"LastModifiedDate\": 1699999999.123, \"ARN\": \"arn:aws:ssm:us-east-1:000000000000:parameter/a/b\","
        "   \"DataType\": \"text\"}], \"NextToken\": \"n\"}",
        NULL);
    ck_assert_msg(strstr(body, "\"LastModifiedDate\":1699999999.123") != NULL, "%s", body);
    free(body);
}
END_TEST

START_TEST(write_response_is_lenient_and_empty_is_braces)
{
    const struct dd_service_model *svc = model("ssm");
    const struct dd_operation *op = op_of(svc, "PutParameter");
    struct dd_buf body = {0};
    const char *ct = NULL;

    codec_write_response(svc, op, NULL, "r", &body, &ct);
    ck_assert_str_eq(body.data, "{}");
    ck_assert_str_eq(ct, "application/x-amz-json-1.1");
    buf_free(&body);

    /* a handler's stray value of the wrong type is dropped, never sent */
    json_t *out = json_of("{\"Version\": \"three\", \"Tier\": \"Standard\"}");
    codec_write_response(svc, op, out, "r", &body, &ct);
    ck_assert_str_eq(body.data, "{\"Tier\":\"Standard\"}");
    buf_free(&body);
    json_decref(out);

    /* an operation with no output members writes {} */
    op = op_of(svc, "DeleteParameter");
    out = json_of("{\"whatever\": 1}");
    codec_write_response(svc, op, out, "r", &body, &ct);
    ck_assert_str_eq(body.data, "{}");
    buf_free(&body);
    json_decref(out);

    /* json 1.0 services say so */
    struct dd_service_model v10 = *svc;
    v10.json_version = "1.0";
    codec_write_response(&v10, op, NULL, "r", &body, &ct);
    ck_assert_str_eq(ct, "application/x-amz-json-1.0");
    buf_free(&body);
}
END_TEST

START_TEST(parse_response_empty_and_tolerant)
{
    const struct dd_service_model *svc = model("ssm");
    struct dd_error err;
    json_t *out = codec_parse_response(svc, op_of(svc, "DeleteParameter"), 200, "", 0, &err);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(json_object_size(out), 0);
    json_decref(out);

    const char *text = "{\"Version\": 2, \"Tier\": \"Standard\", \"NewField\": {\"a\": [1]}}";
    out = codec_parse_response(svc, op_of(svc, "PutParameter"), 200, text, strlen(text), &err);
    ck_assert_ptr_nonnull(out);
    json_t *want = json_of("{\"Version\": 2, \"Tier\": \"Standard\"}");
    assert_json_eq(out, want);
    json_decref(want);
    json_decref(out);

    /* a 2xx the client cannot read is the server's fault */
    out = codec_parse_response(svc, op_of(svc, "PutParameter"), 200, "{oops", 5, &err);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.code, "MalformedResponse");
    ck_assert_int_eq(err.http_status, 500);
    text = "{\"Version\": \"2\"}";
    out = codec_parse_response(svc, op_of(svc, "PutParameter"), 200, text, strlen(text), &err);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.code, "MalformedResponse");
    ck_assert_str_eq(err.message,
                     "Invalid value for member 'Version' in the response: expected a long integer but found a string");
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------- */

START_TEST(error_round_trip)
{
    const struct dd_service_model *svc = model("ssm");
    struct dd_error sent, got;
    struct dd_buf body = {0};
    const char *ct = NULL;

    dd_err(&sent, 400, "ParameterNotFound", "Parameter /a/\"b\" not found.\n%s", "\xe2\x98\x83");
    codec_write_error(svc, &sent, "req-1", &body, &ct);
    ck_assert_str_eq(ct, "application/x-amz-json-1.1");
    ck_assert_str_eq(body.data, "{\"__type\":\"ParameterNotFound\","
                                "\"message\":\"Parameter /a/\\\"b\\\" not found.\\n\xe2\x98\x83\"}");

    dd_err_clear(&got);
    ck_assert_ptr_null(codec_parse_response(svc, op_of(svc, "GetParameter"), 400, body.data, body.len, &got));
    ck_assert_str_eq(got.code, "ParameterNotFound");
    ck_assert_str_eq(got.message, sent.message);
    ck_assert_int_eq(got.http_status, 400);
    ck_assert(got.sender);
    buf_free(&body);
}
END_TEST

START_TEST(error_code_forms)
{
    const struct dd_service_model *svc = model("ecs");
    const struct dd_operation *op = op_of(svc, "ListClusters");
    struct {
        int status;
        const char *body, *code, *message;
    } cases[] = {
        {400, "{\"__type\":\"com.amazonaws.ecs#ClusterNotFoundException\",\"message\":\"Cluster not found.\"}",
         "ClusterNotFoundException", "Cluster not found."},
        {400,
         "{\"__type\":\"ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/\","
         "\"Message\":\"bad\"}",
         "ValidationException", "bad"},
        {400, "{\"code\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}", "ThrottlingException",
         "Rate exceeded"},
        {403, "{\"Code\":\"AccessDenied\"}", "AccessDenied", ""},
        {500, "{\"__type\":\"aws.protocols#ServerException:extra\",\"message\":\"boom\"}", "ServerException", "boom"},
        {503, "<html>Service Unavailable</html>", "503", ""},
        {502, "", "502", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct dd_error err;
        dd_err_clear(&err);
        ck_assert_ptr_null(
            codec_parse_response(svc, op, cases[i].status, cases[i].body, strlen(cases[i].body), &err));
        ck_assert_str_eq(err.code, cases[i].code);
        ck_assert_str_eq(err.message, cases[i].message);
        ck_assert_int_eq(err.http_status, cases[i].status);
        ck_assert(err.sender == (cases[i].status < 500));
    }
}
END_TEST

static Suite *codec_json_suite(void)
{
    Suite *s = suite_create("codec_json");
    TCase *req = tcase_create("requests");
    tcase_add_test(req, ssm_put_parameter_request);
    tcase_add_test(req, ecs_nested_request_drops_unknown_members);
    tcase_add_test(req, logs_long_timestamps_request);
    tcase_add_test(req, ecs_doubles_and_ecr_blobs_request);
    tcase_add_test(req, empty_and_null_inputs);
    tcase_add_test(req, write_request_refuses_wrong_types);
    suite_add_tcase(s, req);

    TCase *bad = tcase_create("bad_requests");
    tcase_add_test(bad, malformed_json_is_a_serialization_exception);
    tcase_add_test(bad, non_object_body_is_a_serialization_exception);
    tcase_add_test(bad, invalid_utf8_is_a_serialization_exception);
    tcase_add_test(bad, wrong_types_name_the_member);
    tcase_add_test(bad, timestamps_accept_numbers_and_iso8601);
    tcase_add_test(bad, deep_nesting_never_crashes);
    suite_add_tcase(s, bad);

    TCase *resp = tcase_create("responses");
    tcase_add_test(resp, ecs_describe_services_response);
    tcase_add_test(resp, ssm_get_parameters_response);
    tcase_add_test(resp, write_response_is_lenient_and_empty_is_braces);
    tcase_add_test(resp, parse_response_empty_and_tolerant);
    suite_add_tcase(s, resp);

    TCase *err = tcase_create("errors");
    tcase_add_test(err, error_round_trip);
    tcase_add_test(err, error_code_forms);
    suite_add_tcase(s, err);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

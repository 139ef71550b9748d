/* test_validate.c - model validation of decoded inputs (protocol/validate.c),
 * on the real generated models, with AWS's exact messages. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "validate.h"

/* Validates `input` (borrowed) for svc/op; returns the rc, err filled on -1. */
static int run_validate(const char *svc_id, const char *op_name, json_t *input, struct dd_error *err)
{
    const struct dd_service_model *svc = model_find(svc_id);
    ck_assert_msg(svc != NULL, "model %s not generated", svc_id);
    const struct dd_operation *op = model_operation(svc, op_name);
    ck_assert_msg(op != NULL, "%s has no operation %s", svc_id, op_name);
    dd_err_clear(err);
    return validate_input(svc, op, input, svc->protocol == DD_PROTO_JSON ? "ValidationException" : "ValidationError",
                          err);
}

/* Asserts that the input text fails with exactly `message` (NULL: passes). */
static void expect(const char *svc_id, const char *op_name, const char *input_text, const char *message)
{
    json_error_t jerr;
    json_t *input = json_loads(input_text, 0, &jerr);
    struct dd_error err;
    ck_assert_msg(input != NULL, "bad test JSON: %s", jerr.text);
    int rc = run_validate(svc_id, op_name, input, &err);
    if (!message) {
        ck_assert_msg(rc == 0, "rejected %s: %s", input_text, err.message);
        ck_assert_str_eq(err.code, "");
    } else {
        ck_assert_msg(rc == -1, "accepted %s", input_text);
        ck_assert_int_eq(err.http_status, 400);
        ck_assert(err.sender);
        ck_assert_str_eq(err.message, message);
    }
    json_decref(input);
}

START_TEST(valid_inputs_pass)
{
    expect("ssm", "PutParameter",
           "{\"Name\": \"/a\", \"Value\": \"v\", \"Type\": \"SecureString\", \"Tier\": \"Advanced\","
           " \"Tags\": [{\"Key\": \"k\", \"Value\": \"x\"}]}",
           NULL);
    expect("ssm", "DescribeParameters", "{}", NULL);
    expect("ssm", "DescribeParameters", "{\"MaxResults\": 50}", NULL);
    expect("ssm", "DescribeParameters", "{\"MaxResults\": 1}", NULL);
    expect("logs", "CreateLogGroup", "{\"logGroupName\": \"g\", \"tags\": {\"k\": \"v\"}}", NULL);

    /* an operation with no input shape has nothing to check */
    const struct dd_service_model *svc = model_find("sts");
    struct dd_error err;
    dd_err_clear(&err);
    ck_assert_int_eq(validate_input(svc, model_operation(svc, "GetCallerIdentity"), NULL, "ValidationError", &err), 0);
}
END_TEST

START_TEST(required_members)
{
    expect("ssm", "GetParameter", "{}",
           "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
    /* null is as good as absent, and a missing body as an empty one */
    expect("ssm", "GetParameter", "{\"Name\": null, \"WithDecryption\": true}",
           "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null");
    struct dd_error err;
    ck_assert_int_eq(run_validate("ssm", "GetParameter", NULL, &err), -1);
    ck_assert_str_eq(err.code, "ValidationException");
    ck_assert_str_eq(err.message, "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
                                  "Member must not be null");
}
END_TEST

START_TEST(enum_values)
{
    expect("ssm", "PutParameter", "{\"Name\": \"/x\", \"Value\": \"v\", \"Type\": \"Foo\"}",
           "1 validation error detected: Value 'Foo' at 'type' failed to satisfy constraint: "
           "Member must satisfy enum value set: [String, StringList, SecureString]");
    /* enums are case-sensitive */
    expect("ssm", "PutParameter", "{\"Name\": \"/x\", \"Value\": \"v\", \"Tier\": \"standard\"}",
           "1 validation error detected: Value 'standard' at 'tier' failed to satisfy constraint: "
           "Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]");
}
END_TEST

START_TEST(string_lengths_count_code_points)
{
    expect("ssm", "GetParameter", "{\"Name\": \"\"}",
           "1 validation error detected: Value '' at 'name' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1");

    /* 1024 snowmen are 3072 bytes but 1024 characters: within Description's max of 1024 */
    struct dd_buf text = {0}, long_value = {0};
    buf_puts(&text, "{\"Name\": \"/x\", \"Value\": \"v\", \"Description\": \"");
    for (int i = 0; i < 1024; i++)
        buf_puts(&text, "\xe2\x98\x83");
    buf_puts(&text, "\"}");
    expect("ssm", "PutParameter", text.data, NULL);
    buf_free(&text);

    /* 1025 characters: too long; the value shown is cut to 256 bytes on a character boundary */
    buf_puts(&text, "{\"Name\": \"/x\", \"Value\": \"v\", \"Description\": \"");
    for (int i = 0; i < 1025; i++)
        buf_puts(&text, "\xe2\x98\x83");
    buf_puts(&text, "\"}");
    buf_puts(&long_value, "1 validation error detected: Value '");
    for (int i = 0; i < 85; i++) /* 85 * 3 = 255 bytes: the 86th would cross 256 */
        buf_puts(&long_value, "\xe2\x98\x83");
    buf_puts(&long_value, "...' at 'description' failed to satisfy constraint: "
                          "Member must have length less than or equal to 1024");
    expect("ssm", "PutParameter", text.data, long_value.data);
    buf_free(&text);
    buf_free(&long_value);
}
END_TEST

START_TEST(number_ranges)
{
    expect("ssm", "DescribeParameters", "{\"MaxResults\": 51}",
           "1 validation error detected: Value '51' at 'maxResults' failed to satisfy constraint: "
           "Member must have value less than or equal to 50");
    expect("ssm", "DescribeParameters", "{\"MaxResults\": 0}",
           "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1");
    expect("ssm", "DescribeParameters", "{\"MaxResults\": -9223372036854775807}",
           "1 validation error detected: Value '-9223372036854775807' at 'maxResults' failed to satisfy "
           "constraint: Member must have value greater than or equal to 1");
}
END_TEST

START_TEST(nested_paths_and_list_lengths)
{
    expect("ssm", "DescribeParameters",
           "{\"ParameterFilters\": [{\"Key\": \"Name\", \"Values\": []}, {\"Values\": [\"a\"]}]}",
           "2 validation errors detected: Value '[]' at 'parameterFilters.1.member.values' failed to satisfy "
           "constraint: Member must have length greater than or equal to 1; Value null at "
           "'parameterFilters.2.member.key' failed to satisfy constraint: Member must not be null");
    expect("ssm", "GetParameters", "{\"Names\": []}",
           "1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1");
    expect("ssm", "GetParameters",
           "{\"Names\": [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", \"k\"]}",
           "1 validation error detected: Value '[a, b, c, d, e, f, g, h, i, j, k]' at 'names' failed to "
           "satisfy constraint: Member must have length less than or equal to 10");
}
END_TEST

START_TEST(scalars_in_collections)
{
    /* a list's scalars are reported once, at the list, with the element's constraints */
    expect("ssm", "GetParameters", "{\"Names\": [\"a\", \"\", \"\"]}",
           "1 validation error detected: Value '[a, , ]' at 'names' failed to satisfy constraint: "
           "Member must satisfy constraint: [Member must have length greater than or equal to 1]");
    /* a map's keys and values likewise */
    expect("logs", "CreateLogGroup", "{\"logGroupName\": \"g\", \"tags\": {\"\": \"v\"}}",
           "1 validation error detected: Value '{=v}' at 'tags' failed to satisfy constraint: "
           "Map keys must satisfy constraint: [Member must have length greater than or equal to 1]");
    struct dd_buf text = {0}, message = {0}, value = {0};
    for (int i = 0; i < 257; i++)
        buf_putc(&value, 'x');
    buf_printf(&text, "{\"logGroupName\": \"g\", \"tags\": {\"k\": \"%s\"}}", value.data);
    buf_printf(&message,
               "1 validation error detected: Value '{k=%.253s...' at 'tags' failed to satisfy constraint: "
               "Map value must satisfy constraint: [Member must have length less than or equal to 256]",
               value.data);
    expect("logs", "CreateLogGroup", text.data, message.data);
    buf_free(&text);
    buf_free(&message);
    buf_free(&value);
    expect("logs", "CreateLogGroup", "{\"logGroupName\": \"g\", \"tags\": {}}",
           "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1");
}
END_TEST

START_TEST(sensitive_values_are_not_echoed)
{
    expect("ssm", "CreateMaintenanceWindow",
           "{\"Name\": \"mw-1\", \"Description\": \"\", \"Schedule\": \"rate(1 day)\", \"Duration\": 2, \"Cutoff\": 1,"
           " \"AllowUnassociatedTargets\": true}",
           "1 validation error detected: Value at 'description' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1");
}
END_TEST

START_TEST(multiple_errors_in_model_order)
{
    expect("ssm", "PutParameter", "{\"Type\": \"x\", \"Name\": \"\"}",
           "3 validation errors detected: Value '' at 'name' failed to satisfy constraint: Member must have length "
           "greater than or equal to 1; Value null at 'value' failed to satisfy constraint: Member must not be "
           "null; Value 'x' at 'type' failed to satisfy constraint: Member must satisfy enum value set: "
           "[String, StringList, SecureString]");
}
END_TEST

START_TEST(long_reports_are_cut_between_violations)
{
    struct dd_buf text = {0};
    struct dd_error err;
    buf_puts(&text, "{\"ParameterFilters\": [");
    for (int i = 0; i < 100; i++)
        buf_printf(&text, "%s{\"Values\": [\"v\"]}", i ? ", " : "");
    buf_puts(&text, "]}");
    json_t *input = json_loads(text.data, 0, NULL);
    ck_assert_int_eq(run_validate("ssm", "DescribeParameters", input, &err), -1);
    const char *head = "100 validation errors detected: Value null at 'parameterFilters.1.member.key' failed to "
                       "satisfy constraint: Member must not be null; Value null at 'parameterFilters.2.member.key'";
    ck_assert_msg(strncmp(err.message, head, strlen(head)) == 0, "%s", err.message);
    ck_assert_uint_lt(strlen(err.message), sizeof err.message);
    /* the list ends on a whole violation */
    const char *tail = "Member must not be null";
    size_t n = strlen(err.message);
    ck_assert_str_eq(err.message + n - strlen(tail), tail);
    ck_assert_ptr_null(strstr(err.message, "parameterFilters.100."));
    json_decref(input);
    buf_free(&text);
}
END_TEST

START_TEST(query_and_ec2_naming)
{
    /* awsQuery services name members lowerCamel too (STS, IAM, CloudFormation answer so) */
    expect("sts", "AssumeRole", "{\"RoleArn\": \"arn:aws:iam::000000000000:role/r\", \"RoleSessionName\": \"s\"}",
           "1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy constraint: "
           "Member must have length greater than or equal to 2");
    expect("iam", "CreateRole",
           "{\"RoleName\": \"r\", \"AssumeRolePolicyDocument\": \"{}\", \"Tags\": [{\"Key\": \"k\"}]}",
           "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: "
           "Member must not be null");
    /* ec2 reports the first missing parameter alone, by its wire name */
    expect("ec2", "RunInstances", "{}", "The request must contain the parameter MaxCount");
    expect("ec2", "DescribeVpcs", "{\"Filters\": [{\"Name\": \"x\"}], \"MaxResults\": 1}",
           "1 validation error detected: Value '1' at 'MaxResults' failed to satisfy constraint: Member must have "
           "value greater than or equal to 5");
}
END_TEST

static Suite *validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, valid_inputs_pass);
    tcase_add_test(tc, required_members);
    tcase_add_test(tc, enum_values);
    tcase_add_test(tc, string_lengths_count_code_points);
    tcase_add_test(tc, number_ranges);
    tcase_add_test(tc, nested_paths_and_list_lengths);
    tcase_add_test(tc, scalars_in_collections);
    tcase_add_test(tc, sensitive_values_are_not_echoed);
    tcase_add_test(tc, multiple_errors_in_model_order);
    tcase_add_test(tc, long_reports_are_cut_between_violations);
    tcase_add_test(tc, query_and_ec2_naming);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(validate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

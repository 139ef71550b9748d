/* Unit tests for client/scenario*.c: selectors, expectations, ${...} substitution, scenario files. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../client/scenario.h"

static json_t *doc(void)
{
    return json_loads("{\"Services\": [{\"serviceName\": \"web\", \"runningCount\": 2, \"status\": \"ACTIVE\"},"
                      "              {\"serviceName\": \"api\", \"runningCount\": 0, \"status\": \"ACTIVE\"}],"
                      " \"Tags\": [{\"Key\": \"Name\", \"Value\": \"net-vpc\"}, {\"Key\": \"env\", \"Value\": \"dev\"}],"
                      " \"Reservations\": [{\"Instances\": [{\"Id\": \"i-1\", \"State\": {\"Name\": \"running\"}},"
                      "                                    {\"Id\": \"i-2\", \"State\": {\"Name\": \"stopped\"}}]},"
                      "                    {\"Instances\": [{\"Id\": \"i-3\", \"State\": {\"Name\": \"running\"}}]}],"
                      " \"Empty\": [], \"Obj\": {\"a\": 1, \"b\": 2}, \"Text\": \"hello\"}",
                      0, NULL);
}

/* The selector's result as compact JSON ("nothing" when empty, "ERR: ..." on a bad selector). */
static char *sel(const char *selector)
{
    json_t *d = doc(), *out = NULL;
    bool proj;
    char why[256];
    char *s;
    if (scn_select(d, selector, &out, &proj, why, sizeof why))
        ck_assert(asprintf(&s, "ERR: %s", why) > 0);
    else
        s = out ? json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("nothing");
    json_decref(out);
    json_decref(d);
    return s;
}

#define ck_sel(selector, want)                                                                                     \
    do {                                                                                                           \
        char *got_ = sel(selector);                                                                                \
        ck_assert_msg(strcmp(got_, want) == 0, "%s: got %s, want %s", selector, got_, want);                      \
        free(got_);                                                                                                \
    } while (0)

START_TEST(test_select_paths)
{
    ck_sel("$", "{\"Services\":[{\"serviceName\":\"web\",\"runningCount\":2,\"status\":\"ACTIVE\"},{\"serviceName\":"
                "\"api\",\"runningCount\":0,\"status\":\"ACTIVE\"}],\"Tags\":[{\"Key\":\"Name\",\"Value\":\"net-vpc\"},"
                "{\"Key\":\"env\",\"Value\":\"dev\"}],\"Reservations\":[{\"Instances\":[{\"Id\":\"i-1\",\"State\":{"
                "\"Name\":\"running\"}},{\"Id\":\"i-2\",\"State\":{\"Name\":\"stopped\"}}]},{\"Instances\":[{\"Id\":"
                "\"i-3\",\"State\":{\"Name\":\"running\"}}]}],\"Empty\":[],\"Obj\":{\"a\":1,\"b\":2},\"Text\":\"hello\"}");
    ck_sel("$.Services[0].runningCount", "2");
    ck_sel("$.Services[-1].serviceName", "\"api\"");
    ck_sel("$.Services[5].serviceName", "nothing");
    ck_sel("$.Nope.deeper", "nothing");
    ck_sel("$.Text.length", "nothing");
    ck_sel("$.Services[*].serviceName", "[\"web\",\"api\"]");
    ck_sel("$.Obj[*]", "[1,2]");
}
END_TEST

START_TEST(test_select_filters)
{
    ck_sel("$.Tags[?Key=Name].Value", "[\"net-vpc\"]");
    ck_sel("$.Tags[?Key='Name'].Value", "[\"net-vpc\"]");
    ck_sel("$.Tags[?Key!=Name].Value", "[\"dev\"]");
    ck_sel("$.Tags[?Key=Nope].Value", "[]");
    ck_sel("$.Services[?runningCount=2].serviceName", "[\"web\"]");
    /* A filter over a projection flattens: every running instance of every reservation. */
    ck_sel("$.Reservations[*].Instances[?State.Name=running].Id", "[\"i-1\",\"i-3\"]");
    ck_sel("$.Reservations[*].Instances[*].Id", "[\"i-1\",\"i-2\",\"i-3\"]");
    /* [N] after a projection picks the N-th match. */
    ck_sel("$.Reservations[*].Instances[*].Id[1]", "\"i-2\"");
    ck_sel("$.Tags[?Key=env].Value[0]", "\"dev\"");
}
END_TEST

START_TEST(test_select_length)
{
    ck_sel("length($.Reservations)", "2");
    ck_sel("length($.Reservations[*].Instances[*])", "3");
    ck_sel("length($.Empty)", "0");
    ck_sel("length($.Nope)", "0");
    ck_sel("length($.Obj)", "2");
    ck_sel("length($.Text)", "5");
}
END_TEST

START_TEST(test_select_errors)
{
    char *s = sel("Services");
    ck_assert_msg(strstr(s, "ERR: bad selector Services: a selector starts with $") == s, "%s", s);
    free(s);
    s = sel("$.Services[x]");
    ck_assert_msg(strncmp(s, "ERR:", 4) == 0, "%s", s);
    free(s);
    s = sel("$.Tags[?Key]");
    ck_assert_msg(strstr(s, "[?KEY=VALUE]") != NULL, "%s", s);
    free(s);
    s = sel("length($.Tags");
    ck_assert_msg(strstr(s, "missing ')'") != NULL, "%s", s);
    free(s);
    s = sel("$.");
    ck_assert_msg(strncmp(s, "ERR:", 4) == 0, "%s", s);
    free(s);
}
END_TEST

/* Checks `expect` (JSON text) against doc() with no error; returns the failure message or "" (caller frees). */
static char *expect_with(const char *expect_text, const struct dd_error *err)
{
    json_t *d = doc(), *e = json_loads(expect_text, JSON_DECODE_ANY, NULL);
    ck_assert_msg(e != NULL, "bad test JSON %s", expect_text);
    char msg[1024];
    bool ok = scn_expect(d, err, e, msg, sizeof msg);
    ck_assert_msg(ok == (msg[0] == 0), "ok=%d but msg=%s", ok, msg);
    json_decref(d);
    json_decref(e);
    return strdup(msg);
}

#define ck_pass(text)                                                                                              \
    do {                                                                                                           \
        char *m_ = expect_with(text, NULL);                                                                        \
        ck_assert_msg(m_[0] == 0, "%s: %s", text, m_);                                                             \
        free(m_);                                                                                                  \
    } while (0)
#define ck_fail(text, want)                                                                                        \
    do {                                                                                                           \
        char *m_ = expect_with(text, NULL);                                                                        \
        ck_assert_msg(strstr(m_, want) != NULL, "%s: got \"%s\", want \"%s\"", text, m_, want);                    \
        free(m_);                                                                                                  \
    } while (0)

START_TEST(test_expect_checks)
{
    ck_pass("{\"path\": \"$.Services[0].runningCount\", \"equals\": 2}");
    ck_pass("{\"path\": \"$.Services[0].runningCount\", \"equals\": \"2\"}"); /* YAML may quote it */
    ck_fail("{\"path\": \"$.Services[1].runningCount\", \"equals\": 2}", "$.Services[1].runningCount: expected 2, got 0");
    ck_pass("{\"path\": \"$.Tags[?Key=Name].Value\", \"equals\": \"net-vpc\"}");
    ck_pass("{\"path\": \"$.Services[*].status\", \"equals\": \"ACTIVE\"}");
    ck_fail("{\"path\": \"$.Services[*].serviceName\", \"equals\": \"web\"}", "expected \"web\", got [\"web\",\"api\"]");
    ck_pass("{\"path\": \"$.Services[*].serviceName\", \"equals\": [\"web\", \"api\"]}");
    ck_fail("{\"path\": \"$.Tags[?Key=Nope].Value\", \"equals\": \"x\"}", "got []");
    ck_fail("{\"path\": \"$.Nope\", \"equals\": \"x\"}", "got nothing");
    ck_pass("{\"path\": \"$.Text\", \"contains\": \"ell\"}");
    ck_pass("{\"path\": \"$.Services[*].serviceName\", \"contains\": \"api\"}");
    ck_pass("{\"path\": \"$.Obj\", \"contains\": \"a\"}");
    ck_fail("{\"path\": \"$.Text\", \"contains\": \"xyz\"}", "expected it to contain \"xyz\"");
    ck_pass("{\"path\": \"$.Text\", \"matches\": \"^h[a-z]+o$\"}");
    ck_pass("{\"path\": \"$.Services[0].runningCount\", \"matches\": \"^[0-9]$\"}");
    ck_pass("{\"path\": \"$.Reservations[*].Instances[*].Id\", \"matches\": \"^i-[0-9]$\"}");
    ck_fail("{\"path\": \"$.Services[*].serviceName\", \"matches\": \"^w\"}", "expected a match of /^w/");
    ck_pass("{\"path\": \"$.Reservations\", \"count\": 2}");
    ck_pass("{\"path\": \"$.Reservations[*].Instances[?State.Name=running]\", \"count\": 2}");
    ck_pass("{\"path\": \"$.Nope\", \"count\": 0}");
    ck_fail("{\"path\": \"$.Empty\", \"count\": 1}", "$.Empty: expected count 1, got 0");
    ck_pass("{\"path\": \"length($.Services)\", \"equals\": 2}");
    ck_pass("{\"path\": \"$.Text\", \"exists\": true}");
    ck_pass("{\"path\": \"$.Nope\", \"exists\": false}");
    ck_pass("{\"path\": \"$.Tags[?Key=Nope]\", \"exists\": false}");
    ck_fail("{\"path\": \"$.Text\", \"exists\": false}", "expected nothing");
    /* Several checks on one path, and a list of expectations. */
    ck_pass("[{\"path\": \"$.Text\", \"contains\": \"he\", \"matches\": \"o$\"}, {\"path\": \"$.Empty\", \"count\": 0}]");
    ck_fail("[{\"path\": \"$.Text\", \"contains\": \"he\"}, {\"path\": \"$.Empty\", \"count\": 3}]", "expected count 3");
    ck_pass("null");
}
END_TEST

START_TEST(test_expect_errors)
{
    struct dd_error err;
    dd_err(&err, 400, "ValidationError", "At least two subnets in two different Availability Zones must be specified");
    json_t *d = json_pack("{s{ssss}}", "Error", "Code", err.code, "Message", err.message);
    char msg[1024];
    json_t *e = json_loads("[{\"error\": \"ValidationError\"}, {\"path\": \"$.Error.Message\", \"contains\": \"two "
                           "subnets\"}]",
                           0, NULL);
    ck_assert_msg(scn_expect(d, &err, e, msg, sizeof msg), "%s", msg);
    json_decref(e);
    /* A failed call with no error expected fails with the AWS error. */
    e = json_loads("{\"path\": \"$.Error\", \"exists\": true}", 0, NULL);
    ck_assert(!scn_expect(d, &err, e, msg, sizeof msg));
    ck_assert_str_eq(msg, "ValidationError: At least two subnets in two different Availability Zones must be specified");
    ck_assert(!scn_expect(d, &err, NULL, msg, sizeof msg));
    json_decref(e);
    e = json_loads("{\"error\": \"InvalidVpcID.NotFound\"}", 0, NULL);
    ck_assert(!scn_expect(d, &err, e, msg, sizeof msg));
    ck_assert_msg(strstr(msg, "expected error InvalidVpcID.NotFound, got ValidationError") == msg, "%s", msg);
    /* An error expected but the call succeeded. */
    ck_assert(!scn_expect(d, NULL, e, msg, sizeof msg));
    ck_assert_str_eq(msg, "expected error InvalidVpcID.NotFound, but the call succeeded");
    json_decref(e);
    json_decref(d);
}
END_TEST

START_TEST(test_expectation_syntax)
{
    char why[256];
    json_t *e = json_loads("{\"path\": \"$.a\", \"equal\": 1}", 0, NULL);
    ck_assert_int_eq(scn_expectation_valid(e, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "unknown expectation key equal") != NULL, "%s", why);
    json_decref(e);
    e = json_loads("{\"path\": \"$.a\"}", 0, NULL);
    ck_assert_int_eq(scn_expectation_valid(e, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "needs a check") != NULL, "%s", why);
    json_decref(e);
    e = json_loads("{\"path\": \"a.b\", \"exists\": true}", 0, NULL);
    ck_assert_int_eq(scn_expectation_valid(e, why, sizeof why), -1);
    json_decref(e);
    e = json_loads("{\"matches\": \"([\"}", 0, NULL);
    ck_assert_int_eq(scn_expectation_valid(e, why, sizeof why), -1);
    json_decref(e);
    e = json_loads("{\"count\": \"two\"}", 0, NULL);
    ck_assert_int_eq(scn_expectation_valid(e, why, sizeof why), -1);
    json_decref(e);
}
END_TEST

START_TEST(test_substitute)
{
    json_t *vars = json_loads("{\"net\": {\"VpcId\": \"vpc-1\", \"Subnets\": [\"s-1\", \"s-2\"]},"
                              " \"tasks\": {\"taskArns\": [\"arn:t1\"], \"n\": 2},"
                              " \"subnets\": {\"Subnets\": [{\"CidrBlock\": \"10.0.0.0/24\", \"SubnetId\": \"s-1\"}]}}",
                              0, NULL);
    json_t *in = json_loads("{\"VpcIds\": [\"${net.VpcId}\"], \"Subnets\": \"${net.Subnets}\", \"Task\": "
                            "\"${tasks.taskArns[0]}\", \"Desc\": \"vpc ${net.VpcId} has ${tasks.n} tasks\", \"N\": "
                            "\"${tasks.n}\", \"Lit\": \"$${aws:username}\", \"One\": "
                            "\"${subnets.Subnets[?CidrBlock=10.0.0.0/24].SubnetId}\", \"Keep\": 5}",
                            0, NULL);
    char why[256];
    json_t *out = scn_substitute(in, vars, why, sizeof why);
    ck_assert_msg(out != NULL, "%s", why);
    char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(s, "{\"Desc\":\"vpc vpc-1 has 2 tasks\",\"Keep\":5,\"Lit\":\"${aws:username}\",\"N\":2,\"One\":"
                        "\"s-1\",\"Subnets\":[\"s-1\",\"s-2\"],\"Task\":\"arn:t1\",\"VpcIds\":[\"vpc-1\"]}");
    free(s);
    json_decref(out);
    json_decref(in);
    in = json_string("${net.Nope}");
    ck_assert_ptr_eq(scn_substitute(in, vars, why, sizeof why), NULL);
    ck_assert_str_eq(why, "${net.Nope} has no value");
    json_decref(in);
    json_decref(vars);
}
END_TEST

/* Writes `text` to a temporary file with `suffix`; returns its path (caller frees and unlinks). */
static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/drydock-scn-XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void load_fails(const char *text, const char *want)
{
    char *path = temp_file(text), why[1024];
    json_t *d = scenario_load(path, why, sizeof why);
    ck_assert_msg(d == NULL, "loaded: %s", text);
    ck_assert_msg(strstr(why, want) != NULL, "got \"%s\", want \"%s\"", why, want);
    unlink(path);
    free(path);
}

START_TEST(test_load)
{
    char *path = temp_file("name: ok\n"
                           "stacks:\n  net: {template: net.yaml, params: {Env: dev}}\n"
                           "steps:\n"
                           "  - apply: net\n"
                           "  - call: ec2 DescribeVpcs\n    params: {VpcIds: ['${net.VpcId}']}\n"
                           "    expect:\n      - path: $.Vpcs[0].State\n        equals: available\n"
                           "  - wait_until: ecs DescribeServices\n    timeout: 60\n    expect: {path: '$.services', count: 1}\n"
                           "  - advance: 30\n"
                           "  - inject: ecs/stop-task\n    body: {cluster: c, task: t}\n"
                           "  - assert_outputs: net\n    expect: {path: $.VpcId, exists: true}\n"
                           "  - destroy: net\n");
    char why[1024];
    json_t *d = scenario_load(path, why, sizeof why);
    ck_assert_msg(d != NULL, "%s", why);
    ck_assert_int_eq(json_array_size(json_object_get(d, "steps")), 7);
    json_decref(d);
    unlink(path);
    free(path);
    load_fails("steps: []\n", "a scenario needs a list of steps");
    load_fails("steps:\n  - sleep: 3\n", "step 1: a step is one of apply");
    load_fails("steps:\n  - apply: net\n", "step 1: apply: no stack named net");
    load_fails("stacks:\n  net: {params: {}}\nsteps:\n  - apply: net\n", "stacks.net: a stack needs a template");
    load_fails("steps:\n  - call: ec2 DescribeVpc\n", "step 1: ec2 has no operation DescribeVpc");
    load_fails("steps:\n  - call: ec3 DescribeVpcs\n", "step 1: unknown service ec3");
    load_fails("steps:\n  - call: DescribeVpcs\n", "a call reads \"SERVICE Operation\"");
    load_fails("steps:\n  - call: ec2 DescribeVpcs\n    timeout: 3\n", "call: unknown key timeout");
    load_fails("steps:\n  - advance: soon\n", "advance takes a number of seconds");
    load_fails("steps:\n  - call: sts GetCallerIdentity\n    expect: {path: Account, exists: true}\n",
               "step 1: bad selector Account");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_select_paths);
    tcase_add_test(tc, test_select_filters);
    tcase_add_test(tc, test_select_length);
    tcase_add_test(tc, test_select_errors);
    tcase_add_test(tc, test_expect_checks);
    tcase_add_test(tc, test_expect_errors);
    tcase_add_test(tc, test_expectation_syntax);
    tcase_add_test(tc, test_substitute);
    tcase_add_test(tc, test_load);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

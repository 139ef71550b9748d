/* Unit tests for client/: templates (YAML short forms, intrinsics, conditions, parameters),
 * the dependency graph, and endpoint and credential resolution. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../client/dag.h"
#include "../../client/engine.h"
#include "../../client/graph.h"
#include "../../client/template.h"
#include "../../client/transport.h"

static json_t *parse(const char *text)
{
    char why[512];
    json_t *doc = tpl_parse(text, strlen(text), why, sizeof why);
    ck_assert_msg(doc != NULL, "%s", why);
    return doc;
}

static json_t *fake_getatt(void *ud, const char *id, const char *attr)
{
    return json_sprintf("%s-%s", id, attr);
}

static json_t *fake_ref(void *ud, const char *id)
{
    return json_sprintf("id-%s", id);
}

static json_t *fake_azs(void *ud, const char *region)
{
    return json_pack("[ss]", "us-east-1a", "us-east-1b");
}

/* Resolves `expr` (YAML) within a template holding `doc` sections; returns compact JSON (caller frees). */
static char *eval(const char *doc_text, const char *expr_text)
{
    struct tpl t;
    struct tpl_lookup lk = {fake_ref, fake_getatt, NULL, fake_azs, NULL, NULL};
    tpl_init(&t, parse(doc_text), "mystack", "eu-west-1", &lk);
    json_t *errors = json_array();
    tpl_bind_params(&t, NULL, errors);
    tpl_eval_conditions(&t, errors);
    ck_assert_int_eq(json_array_size(errors), 0);
    json_t *expr = parse(expr_text), *v;
    char why[512];
    v = tpl_resolve(&t, json_object_get(expr, "X"), why, sizeof why);
    char *out = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup(why);
    json_decref(v);
    json_decref(expr);
    json_decref(errors);
    tpl_free(&t);
    return out;
}

static const char DOC[] = "Parameters:\n"
                          "  Env: {Type: String, Default: prod}\n"
                          "  Zones: {Type: CommaDelimitedList, Default: 'a,b,c'}\n"
                          "Mappings:\n"
                          "  Sizes: {prod: {Cpu: 512}, dev: {Cpu: 256}}\n"
                          "Conditions:\n"
                          "  IsProd: !Equals [!Ref Env, prod]\n"
                          "  NotProd: !Not [!Condition IsProd]\n"
                          "  Both: !And [!Condition IsProd, !Equals [1, 1]]\n"
                          "Resources:\n"
                          "  Vpc: {Type: AWS::EC2::VPC}\n";

#define EXPECT(expr, want)                                                                                             \
    do {                                                                                                               \
        char *got = eval(DOC, expr);                                                                                   \
        ck_assert_str_eq(got, want);                                                                                   \
        free(got);                                                                                                     \
    } while (0)

START_TEST(yaml_short_forms)
{
    json_t *d = parse("A: !Ref X\nB: !GetAtt R.Arn\nC: !GetAtt [R, Arn]\nD: !Sub 'x-${AWS::Region}'\n"
                      "E: !If [C, 1, 2]\nF: !Condition C\nG: !Base64 hi\nH: 80\nI: '80'\nJ: true\nK: 1.10\n");
    char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(s, "{\"A\":{\"Ref\":\"X\"},\"B\":{\"Fn::GetAtt\":[\"R\",\"Arn\"]},\"C\":{\"Fn::GetAtt\":[\"R\","
                        "\"Arn\"]},\"D\":{\"Fn::Sub\":\"x-${AWS::Region}\"},\"E\":{\"Fn::If\":[\"C\",1,2]},\"F\":{"
                        "\"Condition\":\"C\"},\"G\":{\"Fn::Base64\":\"hi\"},\"H\":80,\"I\":\"80\",\"J\":true,\"K\":"
                        "\"1.10\"}");
    free(s);
    json_decref(d);
    char why[512];
    ck_assert_ptr_null(tpl_parse("A: !ImportValue x\n", 18, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "ImportValue is not supported"));
    ck_assert_ptr_null(tpl_parse("A: !Bogus x\n", 12, why, sizeof why));
}
END_TEST

START_TEST(intrinsics)
{
    EXPECT("X: !Ref Env", "\"prod\"");
    EXPECT("X: !Ref AWS::Region", "\"eu-west-1\"");
    EXPECT("X: !Ref Vpc", "\"id-Vpc\"");
    EXPECT("X: !GetAtt Vpc.CidrBlock", "\"Vpc-CidrBlock\"");
    EXPECT("X: !Sub '${AWS::StackName}-${AWS::Region}-${Vpc.CidrBlock}-${Vpc}-${!Literal}'",
           "\"mystack-eu-west-1-Vpc-CidrBlock-id-Vpc-${Literal}\"");
    EXPECT("X: !Sub ['${A}/${Env}', {A: !Ref Vpc}]", "\"id-Vpc/prod\"");
    EXPECT("X: !Join ['-', [a, !Ref Env, 3]]", "\"a-prod-3\"");
    EXPECT("X: !Select [1, !Ref Zones]", "\"b\"");
    EXPECT("X: !Split [',', 'x,y']", "[\"x\",\"y\"]");
    EXPECT("X: !FindInMap [Sizes, !Ref Env, Cpu]", "512");
    EXPECT("X: !Base64 hello", "\"aGVsbG8=\"");
    EXPECT("X: !GetAZs ''", "[\"us-east-1a\",\"us-east-1b\"]");
    EXPECT("X: !Cidr ['10.0.0.0/16', 3, 8]", "[\"10.0.0.0/24\",\"10.0.1.0/24\",\"10.0.2.0/24\"]");
    EXPECT("X: {Fn::Partition: 1}", "Fn::Partition is not a supported intrinsic function");
    EXPECT("X: !Ref AWS::Partition", "\"aws\"");
    EXPECT("X: !Ref AWS::URLSuffix", "\"amazonaws.com\"");
    EXPECT("X: !Ref Nope", "Ref to Nope: no parameter or resource has that name");
}
END_TEST

START_TEST(conditions_and_novalue)
{
    EXPECT("X: !If [IsProd, big, small]", "\"big\"");
    EXPECT("X: !If [NotProd, big, small]", "\"small\"");
    EXPECT("X: !If [Both, yes, no]", "\"yes\"");
    EXPECT("X: {A: !If [NotProd, 1, !Ref AWS::NoValue], B: [1, !If [IsProd, !Ref AWS::NoValue, 2]]}",
           "{\"B\":[1]}");
    EXPECT("X: !If [Missing, 1, 2]", "condition Missing is not defined");
}
END_TEST

START_TEST(unknown_values_propagate)
{
    struct tpl t;
    tpl_init(&t, parse(DOC), "s", "us-east-1", NULL); /* no lookups: resources are unknown */
    json_t *expr = parse("X: !Join ['', [a, !GetAtt Vpc.CidrBlock]]\nY: !Sub '${AWS::AccountId}'\n");
    char why[256];
    json_t *x = tpl_resolve(&t, json_object_get(expr, "X"), why, sizeof why);
    json_t *y = tpl_resolve(&t, json_object_get(expr, "Y"), why, sizeof why);
    ck_assert(tpl_is_unknown(x));
    ck_assert(tpl_is_unknown(y));
    json_decref(x);
    json_decref(y);
    json_decref(expr);
    tpl_free(&t);
}
END_TEST

static int bind(const char *doc, const char *name, const char *value, char *first_error, size_t len)
{
    struct tpl t;
    tpl_init(&t, parse(doc), "s", "us-east-1", NULL);
    json_t *given = json_object(), *errors = json_array();
    if (name)
        json_object_set_new(given, name, json_string(value));
    int n = tpl_bind_params(&t, given, errors);
    snprintf(first_error, len, "%s", n ? json_string_value(json_array_get(errors, 0)) : "");
    json_decref(given);
    json_decref(errors);
    tpl_free(&t);
    return n;
}

START_TEST(parameter_validation)
{
    const char *doc = "Parameters:\n"
                      "  Env: {Type: String, AllowedValues: [dev, prod], Default: dev}\n"
                      "  Cidr: {Type: String, AllowedPattern: '\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+', Default: 10.0.0.0/16}\n"
                      "  Count: {Type: Number, MinValue: 1, MaxValue: 5, Default: 2}\n"
                      "  Name: {Type: String, MinLength: 2, MaxLength: 4, Default: abc}\n"
                      "  Ids: {Type: 'List<Number>', Default: '1,2'}\n"
                      "  Vpc: {Type: 'AWS::EC2::VPC::Id', Default: vpc-1}\n"
                      "Resources: {}\n";
    char err[512];
    ck_assert_int_eq(bind(doc, NULL, NULL, err, sizeof err), 0);
    ck_assert_int_eq(bind(doc, "Env", "qa", err, sizeof err), 1);
    ck_assert_str_eq(err, "Parameter 'Env' must be one of AllowedValues");
    ck_assert_int_eq(bind(doc, "Cidr", "nope", err, sizeof err), 1);
    ck_assert_int_eq(bind(doc, "Count", "9", err, sizeof err), 1);
    ck_assert_int_eq(bind(doc, "Count", "x", err, sizeof err), 1);
    ck_assert_str_eq(err, "Parameter 'Count' must be a number");
    ck_assert_int_eq(bind(doc, "Name", "abcdef", err, sizeof err), 1);
    ck_assert_int_eq(bind(doc, "Ids", "1,x", err, sizeof err), 1);
    ck_assert_int_eq(bind(doc, "Other", "1", err, sizeof err), 1);
    ck_assert_str_eq(err, "Parameters: [Other] do not exist in the template");
    ck_assert_int_eq(bind("Parameters: {P: {Type: String}}\n", NULL, NULL, err, sizeof err), 1);
    ck_assert_str_eq(err, "Parameters: [P] must have values");
    ck_assert_int_eq(bind("Parameters: {P: {Type: Strang, Default: x}}\n", NULL, NULL, err, sizeof err), 1);
}
END_TEST

START_TEST(rules)
{
    struct tpl t;
    tpl_init(&t, parse("Parameters: {Env: {Type: String, Default: prod}, Size: {Type: String, Default: small}}\n"
                       "Rules:\n  ProdIsBig:\n    RuleCondition: !Equals [!Ref Env, prod]\n"
                       "    Assertions:\n      - Assert: !Contains [[large], !Ref Size]\n"
                       "        AssertDescription: prod needs large\n"),
             "s", "us-east-1", NULL);
    json_t *errors = json_array();
    tpl_bind_params(&t, NULL, errors);
    ck_assert_int_eq(tpl_check_rules(&t, errors), 1);
    ck_assert_str_eq(json_string_value(json_array_get(errors, 0)), "Rule ProdIsBig failed: prod needs large");
    json_decref(errors);
    tpl_free(&t);
}
END_TEST

START_TEST(graph_and_cycles)
{
    json_t *doc = parse("Resources:\n"
                        "  Vpc: {Type: AWS::EC2::VPC}\n"
                        "  Sub: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: !Sub '${Vpc.CidrBlock}'}}\n"
                        "  Rt: {Type: AWS::EC2::RouteTable, DependsOn: [Sub], Properties: {VpcId: !GetAtt [Vpc, VpcId]}}\n");
    struct graph g;
    graph_build(json_object_get(doc, "Resources"), NULL, &g);
    ck_assert_uint_eq(g.n, 3);
    size_t order[3];
    ck_assert_uint_eq(dag_order(g.n, g.deps, g.ndeps, order, NULL), 3);
    ck_assert_str_eq(g.ids[order[0]], "Vpc");
    ck_assert_str_eq(g.ids[order[1]], "Sub");
    ck_assert_str_eq(g.ids[order[2]], "Rt");
    graph_free(&g);
    json_decref(doc);

    doc = parse("Resources:\n"
                "  A: {Type: AWS::EC2::VPC, DependsOn: B}\n"
                "  B: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref A}}\n"
                "  C: {Type: AWS::Lambda::Function, Properties: {X: !GetAtt A.Nope}}\n"
                "  D: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Missing}}\n");
    json_t *errors = json_array();
    engine_check_template(doc, errors);
    char *s = json_dumps(errors, JSON_COMPACT);
    ck_assert_ptr_nonnull(strstr(s, "C: unsupported resource type AWS::Lambda::Function"));
    ck_assert_ptr_nonnull(strstr(s, "A: circular dependency"));
    ck_assert_ptr_nonnull(strstr(s, "B: circular dependency"));
    ck_assert_ptr_nonnull(strstr(s, "C: Fn::GetAtt A.Nope: AWS::EC2::VPC has no attribute Nope"));
    ck_assert_ptr_nonnull(strstr(s, "D: refers to Missing"));
    free(s);
    json_decref(errors);
    json_decref(doc);
}
END_TEST

/* ---- endpoints and credentials, with a fake environment and fake files ----------------------------- */

static const char *fake_env[32][2];

static const char *env(const char *name)
{
    for (size_t i = 0; fake_env[i][0]; i++)
        if (strcmp(fake_env[i][0], name) == 0)
            return fake_env[i][1];
    return NULL;
}

static void set_env(const char *const *pairs)
{
    memset(fake_env, 0, sizeof fake_env);
    for (size_t i = 0; pairs[2 * i]; i++) {
        fake_env[i][0] = pairs[2 * i];
        fake_env[i][1] = pairs[2 * i + 1];
    }
}

static char creds_path[64], config_path[64];

static void write_files(void)
{
    snprintf(creds_path, sizeof creds_path, "/tmp/dd-creds-%d", getpid());
    snprintf(config_path, sizeof config_path, "/tmp/dd-config-%d", getpid());
    FILE *f = fopen(creds_path, "w");
    fputs("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secretdefault\n\n"
          "[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=secretci\naws_session_token = tok\n",
          f);
    fclose(f);
    f = fopen(config_path, "w");
    fputs("[default]\nregion = eu-central-1\n[profile ci]\nregion = ap-southeast-2\n"
          "[profile cfgonly]\naws_access_key_id = AKIDCFG\naws_secret_access_key = s\n",
          f);
    fclose(f);
}

static void endpoint(const struct aws_target *t, const char *svc, char *url, size_t len, char region[64])
{
    aws_endpoint_for(t, model_find(svc), url, len, region);
}

START_TEST(credentials_chain)
{
    write_files();
    struct aws_target t;
    char why[256];
    struct aws_options none = {0}, ci = {.profile = "ci"}, bad = {.profile = "nope"};
    set_env((const char *const[]){"AWS_SHARED_CREDENTIALS_FILE", creds_path, "AWS_CONFIG_FILE", config_path,
                                  "AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "secretenv", NULL});
    ck_assert_int_eq(aws_target_resolve(&none, env, &t, why, sizeof why), 0);
    ck_assert_str_eq(t.access_key, "AKIDENV");
    ck_assert_str_eq(t.region, "eu-central-1"); /* the default profile's region */
    ck_assert(t.configured);
    ck_assert_int_eq(aws_target_resolve(&ci, env, &t, why, sizeof why), 0); /* --profile beats the environment */
    ck_assert_str_eq(t.access_key, "AKIDCI");
    ck_assert_str_eq(t.session_token, "tok");
    ck_assert_str_eq(t.region, "ap-southeast-2");
    ck_assert_int_eq(aws_target_resolve(&bad, env, &t, why, sizeof why), -1);
    ck_assert_str_eq(why, "the config profile (nope) could not be found");

    set_env((const char *const[]){"AWS_SHARED_CREDENTIALS_FILE", creds_path, "AWS_CONFIG_FILE", config_path,
                                  "AWS_PROFILE", "cfgonly", "AWS_REGION", "us-west-2", NULL});
    ck_assert_int_eq(aws_target_resolve(&none, env, &t, why, sizeof why), 0);
    ck_assert_str_eq(t.access_key, "AKIDCFG");
    ck_assert_str_eq(t.region, "us-west-2");

    set_env((const char *const[]){"HOME", "/nonexistent", NULL});
    ck_assert_int_eq(aws_target_resolve(&none, env, &t, why, sizeof why), 0);
    ck_assert(!t.configured); /* nothing at all: the embedded emulator */
    ck_assert_str_eq(t.region, "us-east-1");
    unlink(creds_path);
    unlink(config_path);
}
END_TEST

START_TEST(endpoints)
{
    struct aws_target t;
    char why[256], url[512], region[64];
    struct aws_options real = {.region = "eu-west-1"}, local = {.endpoint = "http://127.0.0.1:4566"};
    set_env((const char *const[]){"AWS_ACCESS_KEY_ID", "A", "AWS_SECRET_ACCESS_KEY", "S", "HOME", "/nonexistent",
                                  NULL});
    ck_assert_int_eq(aws_target_resolve(&real, env, &t, why, sizeof why), 0);
    endpoint(&t, "ecs", url, sizeof url, region);
    ck_assert_str_eq(url, "https://ecs.eu-west-1.amazonaws.com");
    endpoint(&t, "elbv2", url, sizeof url, region);
    ck_assert_str_eq(url, "https://elasticloadbalancing.eu-west-1.amazonaws.com");
    endpoint(&t, "ecr", url, sizeof url, region);
    ck_assert_str_eq(url, "https://api.ecr.eu-west-1.amazonaws.com");
    endpoint(&t, "iam", url, sizeof url, region);
    ck_assert_str_eq(url, "https://iam.amazonaws.com");
    ck_assert_str_eq(region, "us-east-1");
    struct aws_options cn = {.region = "cn-north-1"};
    aws_target_resolve(&cn, env, &t, why, sizeof why);
    endpoint(&t, "ssm", url, sizeof url, region);
    ck_assert_str_eq(url, "https://ssm.cn-north-1.amazonaws.com.cn");

    set_env((const char *const[]){"AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://127.0.0.1:9999",
                                  "AWS_ENDPOINT_URL", "http://127.0.0.1:8888", "HOME", "/nonexistent", NULL});
    ck_assert_int_eq(aws_target_resolve(&real, env, &t, why, sizeof why), 0);
    ck_assert(t.configured);
    ck_assert_str_eq(t.access_key, "test"); /* an emulator endpoint without keys: test/test */
    endpoint(&t, "elbv2", url, sizeof url, region);
    ck_assert_str_eq(url, "http://127.0.0.1:9999");
    endpoint(&t, "ssm", url, sizeof url, region);
    ck_assert_str_eq(url, "http://127.0.0.1:8888");
    ck_assert_int_eq(aws_target_resolve(&local, env, &t, why, sizeof why), 0);
    endpoint(&t, "elbv2", url, sizeof url, region); /* --endpoint wins over everything */
    ck_assert_str_eq(url, "http://127.0.0.1:4566");
    struct aws_options badurl = {.endpoint = "localhost:4566"};
    ck_assert_int_eq(aws_target_resolve(&badurl, env, &t, why, sizeof why), -1);

    char name[128];
    aws_service_env_name("Elastic Load Balancing v2", name, sizeof name);
    ck_assert_str_eq(name, "ELASTIC_LOAD_BALANCING_V2");
    aws_service_env_name("Application Auto Scaling", name, sizeof name);
    ck_assert_str_eq(name, "APPLICATION_AUTO_SCALING");
}
END_TEST

START_TEST(coercion_to_model)
{
    const struct dd_service_model *ecs = model_find("ecs");
    const struct dd_operation *op = model_operation(ecs, "RegisterTaskDefinition");
    json_t *in = parse("{\"Family\": \"web\", \"Cpu\": 256, \"ContainerDefinitions\": [{\"Name\": \"app\", "
                       "\"PortMappings\": [{\"ContainerPort\": \"80\"}], \"Essential\": \"true\"}], \"Bogus\": 1}");
    json_t *out = aws_coerce(ecs, (uint32_t)op->input, in);
    char *s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(s, "{\"containerDefinitions\":[{\"essential\":true,\"name\":\"app\",\"portMappings\":[{"
                        "\"containerPort\":80}]}],\"cpu\":\"256\",\"family\":\"web\"}");
    free(s);
    json_decref(out);
    json_decref(in);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, yaml_short_forms);
    tcase_add_test(tc, intrinsics);
    tcase_add_test(tc, conditions_and_novalue);
    tcase_add_test(tc, unknown_values_propagate);
    tcase_add_test(tc, parameter_validation);
    tcase_add_test(tc, rules);
    tcase_add_test(tc, graph_and_cycles);
    tcase_add_test(tc, credentials_chain);
    tcase_add_test(tc, endpoints);
    tcase_add_test(tc, coercion_to_model);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

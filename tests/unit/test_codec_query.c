/* test_codec_query.c - the awsQuery protocol (protocol/codec_query.c and the
 * shared form/XML/text code), both directions, on the real generated models. */
#include "codec_query_testutil.h"

/* ---- requests ------------------------------------------------------------- */

START_TEST(sts_assume_role_request)
{
    char *body = tu_request_round_trip(
        "sts", "AssumeRole",
        "{\"RoleArn\": \"arn:aws:iam::000000000000:role/app\", \"RoleSessionName\": \"s 1\","
        " \"DurationSeconds\": 3600, \"PolicyArns\": [{\"arn\": \"arn:aws:iam::aws:policy/ReadOnly\"}],"
        " \"Tags\": [{\"Key\": \"team\", \"Value\": \"a&b=c\"}, {\"Key\": \"k2\", \"Value\": \"\"}],"
        " \"TransitiveTagKeys\": [\"team\"]}");
    ck_assert_msg(strncmp(body, "Action=AssumeRole&Version=2011-06-15&", 37) == 0, "%s", body);
    ck_assert(tu_form_has(body, "RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fapp"));
    ck_assert(tu_form_has(body, "RoleSessionName=s%201"));
    ck_assert(tu_form_has(body, "DurationSeconds=3600"));
    ck_assert(tu_form_has(body, "Tags.member.1.Key=team"));
    ck_assert(tu_form_has(body, "Tags.member.1.Value=a%26b%3Dc"));
    ck_assert(tu_form_has(body, "Tags.member.2.Value="));
    ck_assert(tu_form_has(body, "PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnly"));
    ck_assert(tu_form_has(body, "TransitiveTagKeys.member.1=team"));
    free(body);
}
END_TEST

START_TEST(iam_tags_and_integers_request)
{
    char *body = tu_request_round_trip(
        "iam", "CreateRole",
        "{\"RoleName\": \"app\", \"AssumeRolePolicyDocument\": \"{\\\"Version\\\":\\\"2012-10-17\\\"}\","
        " \"MaxSessionDuration\": 43200, \"Path\": \"/svc/\","
        " \"Tags\": [{\"Key\": \"env\", \"Value\": \"prod\"}, {\"Key\": \"caf\\u00e9\", \"Value\": \"\\u2603\"}]}");
    ck_assert(tu_form_has(body, "MaxSessionDuration=43200"));
    ck_assert(tu_form_has(body, "Tags.member.2.Key=caf%C3%A9"));
    ck_assert(tu_form_has(body, "Path=%2Fsvc%2F"));
    free(body);
}
END_TEST

START_TEST(elbv2_nested_lists_and_maps_request)
{
    char *body = tu_request_round_trip(
        "elbv2", "CreateRule",
        "{\"ListenerArn\": \"arn:l\", \"Priority\": 10,"
        " \"Conditions\": [{\"Field\": \"path-pattern\", \"PathPatternConfig\": {\"Values\": [\"/a/*\", \"/b\"]}}],"
        " \"Actions\": [{\"Type\": \"authenticate-oidc\", \"Order\": 1, \"AuthenticateOidcConfig\": {"
        "   \"Issuer\": \"https://idp\", \"AuthorizationEndpoint\": \"https://idp/a\","
        "   \"TokenEndpoint\": \"https://idp/t\", \"UserInfoEndpoint\": \"https://idp/u\","
        "   \"ClientId\": \"c\", \"UseExistingClientSecret\": true,"
        "   \"AuthenticationRequestExtraParams\": {\"display\": \"page\", \"prompt\": \"login\"}}},"
        "  {\"Type\": \"forward\", \"Order\": 2, \"ForwardConfig\": {\"TargetGroups\": ["
        "   {\"TargetGroupArn\": \"arn:tg1\", \"Weight\": 1}, {\"TargetGroupArn\": \"arn:tg2\", \"Weight\": 3}],"
        "   \"TargetGroupStickinessConfig\": {\"Enabled\": false, \"DurationSeconds\": 60}}}],"
        " \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}");
    ck_assert(tu_form_has(body, "Conditions.member.1.PathPatternConfig.Values.member.2=%2Fb"));
    ck_assert(tu_form_has(
        body, "Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.key=display"));
    ck_assert(tu_form_has(
        body, "Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.2.value=login"));
    ck_assert(tu_form_has(body, "Actions.member.1.AuthenticateOidcConfig.UseExistingClientSecret=true"));
    ck_assert(tu_form_has(body, "Actions.member.2.ForwardConfig.TargetGroups.member.2.Weight=3"));
    ck_assert(tu_form_has(body, "Actions.member.2.ForwardConfig.TargetGroupStickinessConfig.Enabled=false"));
    free(body);
}
END_TEST

START_TEST(rds_named_list_members_and_booleans)
{
    char *body = tu_request_round_trip(
        "rds", "CreateDBInstance",
        "{\"DBInstanceIdentifier\": \"db1\", \"DBInstanceClass\": \"db.t3.micro\", \"Engine\": \"postgres\","
        " \"AllocatedStorage\": 20, \"MultiAZ\": false, \"PubliclyAccessible\": true,"
        " \"VpcSecurityGroupIds\": [\"sg-1\", \"sg-2\"], \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}]}");
    /* RDS names its list items: VpcSecurityGroupIds.VpcSecurityGroupId.N, Tags.Tag.N */
    ck_assert(tu_form_has(body, "VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1"));
    ck_assert(tu_form_has(body, "VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2"));
    ck_assert(tu_form_has(body, "Tags.Tag.1.Key=a"));
    ck_assert(tu_form_has(body, "MultiAZ=false"));
    ck_assert(tu_form_has(body, "AllocatedStorage=20"));
    free(body);
}
END_TEST

START_TEST(cloudwatch_timestamps_request)
{
    char *body = tu_request_round_trip(
        "cloudwatch", "GetMetricStatistics",
        "{\"Namespace\": \"AWS/ECS\", \"MetricName\": \"CPUUtilization\", \"StartTime\": 1700000000,"
        " \"EndTime\": 1700000060.5, \"Period\": 60, \"Statistics\": [\"Average\", \"Maximum\"],"
        " \"Dimensions\": [{\"Name\": \"ClusterName\", \"Value\": \"c1\"}]}");
    ck_assert(tu_form_has(body, "StartTime=2023-11-14T22%3A13%3A20Z"));
    ck_assert(tu_form_has(body, "EndTime=2023-11-14T22%3A14%3A20.500Z"));
    ck_assert(tu_form_has(body, "Dimensions.member.1.Name=ClusterName"));
    free(body);
}
END_TEST

START_TEST(empty_list_is_sent_and_read_as_empty)
{
    char *body = tu_request_round_trip("elbv2", "SetSecurityGroups",
                                       "{\"LoadBalancerArn\": \"arn:lb\", \"SecurityGroups\": []}");
    ck_assert(tu_form_has(body, "SecurityGroups="));
    free(body);
}
END_TEST

START_TEST(server_reads_what_clients_send)
{
    /* out of order, with gaps, '+' for spaces, unknown keys ignored */
    const struct dd_service_model *svc = tu_model("elbv2");
    const struct dd_operation *op = tu_op(svc, "CreateLoadBalancer");
    struct dd_error err = {0};
    json_t *in = tu_parse_body(svc, op,
                               "Action=CreateLoadBalancer&Version=2015-12-01&Name=my+lb&Subnets.member.3=c"
                               "&Subnets.member.1=a&Subnets.member.2=b&Bogus.member.1=x&Tags.member.1.Key=k"
                               "&Tags.member.1.Value=v%2Bw&Scheme=internal&Subnets.member.01=zero&&Type",
                               &err);
    ck_assert_msg(in != NULL, "%s", err.message);
    json_t *want = tu_json("{\"Name\": \"my lb\", \"Subnets\": [\"a\", \"b\", \"c\"], \"Scheme\": \"internal\","
                           " \"Tags\": [{\"Key\": \"k\", \"Value\": \"v+w\"}], \"Type\": \"\"}");
    tu_assert_json_eq(in, want, "decoded");
    json_decref(want);
    json_decref(in);
}
END_TEST

START_TEST(wrong_types_are_validation_errors)
{
    static const struct {
        const char *svc, *op, *body, *message;
    } cases[] = {
        {"sts", "AssumeRole", "RoleArn=a&RoleSessionName=b&DurationSeconds=abc",
         "Value (abc) for parameter DurationSeconds is invalid. Expected an integer"},
        {"sts", "AssumeRole", "RoleArn=a&DurationSeconds=99999999999", "parameter DurationSeconds"},
        {"sts", "AssumeRole", "DurationSeconds=12abc", "Value (12abc)"},
        {"sts", "AssumeRole", "DurationSeconds=", "Expected an integer"},
        {"rds", "CreateDBInstance", "MultiAZ=maybe", "parameter MultiAZ is invalid. Expected a boolean"},
        {"cloudwatch", "GetMetricStatistics", "StartTime=yesterday", "Expected a timestamp"},
        {"cloudwatch", "GetMetricStatistics", "StartTime=2023-02-30T00%3A00%3A00Z", "StartTime"},
        {"cloudwatch", "PutMetricData",
         "Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=nan",
         "parameter MetricData.member.1.Value is invalid. Expected a number"},
        {"elbv2", "CreateRule", "Actions.member.1.Order=x", "parameter Actions.member.1.Order"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct dd_service_model *svc = tu_model(cases[i].svc);
        struct dd_error err = {0};
        json_t *in = tu_parse_body(svc, tu_op(svc, cases[i].op), cases[i].body, &err);
        ck_assert_msg(in == NULL, "case %zu accepted", i);
        ck_assert_str_eq(err.code, "ValidationError");
        ck_assert_int_eq(err.http_status, 400);
        ck_assert(err.sender);
        ck_assert_msg(strstr(err.message, cases[i].message) != NULL, "case %zu: %s", i, err.message);
    }
}
END_TEST

START_TEST(form_decoding)
{
    struct dd_error err = {0};
    const char *body = "a=1+2%2B3&b&c=&d=%E2%98%83&e=x%3Dy%26z&a2=%41%62";
    json_t *form = codec_parse_form(body, strlen(body), &err);
    ck_assert_ptr_nonnull(form);
    json_t *want = tu_json("{\"a\": \"1 2+3\", \"b\": \"\", \"c\": \"\", \"d\": \"\\u2603\", \"e\": \"x=y&z\","
                           " \"a2\": \"Ab\"}");
    tu_assert_json_eq(form, want, "form");
    json_decref(want);
    json_decref(form);

    /* only `len` bytes count */
    form = codec_parse_form("x=1&y=2", 3, &err);
    ck_assert_int_eq(json_object_size(form), 1);
    json_decref(form);
    form = codec_parse_form(NULL, 0, &err);
    ck_assert_int_eq(json_object_size(form), 0);
    json_decref(form);
}
END_TEST

START_TEST(malformed_forms_are_errors)
{
    static const char *const bad[] = {
        "a=%zz", "a=%4", "a=%", "%=1", "a=%C3%28", "a=%ED%A0%80", "a=%C0%80", "a=%F5%80%80%80",
        "a=%E2%98", "k%00=v", "a=\xff", "\xc3=1", "a=%F0%9F%98",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dd_error err = {0};
        ck_assert_msg(codec_parse_form(bad[i], strlen(bad[i]), &err) == NULL, "accepted %s", bad[i]);
        ck_assert_str_eq(err.code, "MalformedQueryString");
        ck_assert_int_eq(err.http_status, 400);
        /* the same through the request entry point */
        const struct dd_service_model *sts = tu_model("sts");
        dd_err_clear(&err);
        ck_assert_ptr_null(tu_parse_body(sts, tu_op(sts, "AssumeRole"), bad[i], &err));
        ck_assert_str_eq(err.code, "MalformedQueryString");
    }
    /* a NUL inside a value is data, not an error */
    struct dd_error err = {0};
    json_t *form = codec_parse_form("a=x%00y", 7, &err);
    ck_assert_ptr_nonnull(form);
    ck_assert_uint_eq(json_string_length(json_object_get(form, "a")), 3);
    json_decref(form);
}
END_TEST

START_TEST(form_requests_only_for_query_services)
{
    const struct dd_service_model *ssm = tu_model("ssm");
    json_t *form = json_object();
    struct dd_error err = {0};
    ck_assert_ptr_null(codec_parse_form_request(ssm, &ssm->operations[0], form, &err));
    ck_assert_int_eq(err.http_status, 500);
    json_decref(form);
}
END_TEST

START_TEST(random_forms_never_crash)
{
    const struct dd_service_model *svc = tu_model("elbv2");
    const struct dd_operation *op = tu_op(svc, "CreateRule");
    static const char alphabet[] = "%=&.+1234567890member.entry.key.valueActionsConditionsOrderTags\xc3\xa9\xff";
    unsigned seed = 42;
    for (int round = 0; round < 3000; round++) {
        char body[128];
        size_t len = tu_rand(&seed) % sizeof body;
        for (size_t i = 0; i < len; i++)
            body[i] = alphabet[tu_rand(&seed) % (sizeof alphabet - 1)];
        struct dd_error err = {0};
        json_t *in = codec_parse_request(svc, op, body, len, &err);
        ck_assert(in != NULL || err.code[0] != '\0');
        json_decref(in);
    }
    /* deep keys are ignored, not recursed into */
    struct dd_buf deep = {0};
    buf_puts(&deep, "Actions");
    for (int i = 0; i < 20000; i++)
        buf_puts(&deep, ".member.1");
    buf_puts(&deep, "=x");
    struct dd_error err = {0};
    json_t *in = codec_parse_request(svc, op, deep.data, deep.len, &err);
    ck_assert_ptr_nonnull(in);
    json_decref(in);
    buf_free(&deep);
}
END_TEST

/* ---- responses ------------------------------------------------------------ */

START_TEST(iam_get_role_response)
{
    char *xml = tu_response_round_trip(
        "iam", "GetRole",
        "{\"Role\": {\"Path\": \"/\", \"RoleName\": \"app\", \"RoleId\": \"AROA123\","
        " \"Arn\": \"arn:aws:iam::000000000000:role/app\", \"CreateDate\": 1700000000,"
        " \"AssumeRolePolicyDocument\": \"%7B%7D <&>\", \"MaxSessionDuration\": 3600,"
        " \"Tags\": [{\"Key\": \"a\", \"Value\": \"1\"}, {\"Key\": \"b\", \"Value\": \"\"}],"
        " \"RoleLastUsed\": {\"LastUsedDate\": 1700000000.25, \"Region\": \"us-east-1\"}}}",
        "text/xml");
    const char *prefix =
        "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
        "<GetRoleResult><Role><Path>/</Path>";
    ck_assert_msg(strncmp(xml, prefix, strlen(prefix)) == 0, "%s", xml);
    ck_assert_ptr_nonnull(strstr(xml, "<CreateDate>2023-11-14T22:13:20Z</CreateDate>"));
    ck_assert_ptr_nonnull(strstr(xml, "<LastUsedDate>2023-11-14T22:13:20.250Z</LastUsedDate>"));
    ck_assert_ptr_nonnull(strstr(xml, "<Tags><member><Key>a</Key><Value>1</Value></member>"));
    ck_assert_ptr_nonnull(strstr(xml, "%7B%7D &lt;&amp;&gt;"));
    ck_assert_ptr_nonnull(strstr(xml, "</GetRoleResult><ResponseMetadata><RequestId>req-1234</RequestId>"
                                      "</ResponseMetadata></GetRoleResponse>"));
    free(xml);
}
END_TEST

START_TEST(elbv2_describe_load_balancers_response)
{
    char *xml = tu_response_round_trip(
        "elbv2", "DescribeLoadBalancers",
        "{\"LoadBalancers\": [{\"LoadBalancerArn\": \"arn:lb1\", \"DNSName\": \"lb1.elb\","
        " \"CreatedTime\": 1600000000, \"Scheme\": \"internet-facing\", \"VpcId\": \"vpc-1\","
        " \"State\": {\"Code\": \"active\"}, \"Type\": \"application\","
        " \"AvailabilityZones\": [{\"ZoneName\": \"us-east-1a\", \"SubnetId\": \"subnet-1\","
        "   \"LoadBalancerAddresses\": [{\"IpAddress\": \"10.0.0.1\"}, {\"IpAddress\": \"10.0.0.2\"}]},"
        "  {\"ZoneName\": \"us-east-1b\", \"SubnetId\": \"subnet-2\"}],"
        " \"SecurityGroups\": [\"sg-1\", \"sg-2\"]}, {\"LoadBalancerArn\": \"arn:lb2\", \"SecurityGroups\": []}],"
        " \"NextMarker\": \"m\"}",
        "text/xml");
    ck_assert_ptr_nonnull(strstr(xml, "<DescribeLoadBalancersResult><LoadBalancers><member>"));
    ck_assert_ptr_nonnull(strstr(xml, "<SecurityGroups><member>sg-1</member><member>sg-2</member></SecurityGroups>"));
    ck_assert_ptr_nonnull(strstr(xml, "<LoadBalancerAddresses><member><IpAddress>10.0.0.1</IpAddress></member>"));
    ck_assert_ptr_nonnull(strstr(xml, "<State><Code>active</Code></State>"));
    free(xml);
}
END_TEST

START_TEST(rds_named_items_response)
{
    char *xml = tu_response_round_trip(
        "rds", "DescribeDBInstances",
        "{\"DBInstances\": [{\"DBInstanceIdentifier\": \"db1\", \"AllocatedStorage\": 20, \"MultiAZ\": false,"
        " \"InstanceCreateTime\": 1700000000, \"Endpoint\": {\"Address\": \"db1.rds\", \"Port\": 5432},"
        " \"VpcSecurityGroups\": [{\"VpcSecurityGroupId\": \"sg-1\", \"Status\": \"active\"}]}]}",
        "text/xml");
    ck_assert_ptr_nonnull(strstr(xml, "<DBInstances><DBInstance><DBInstanceIdentifier>db1"));
    ck_assert_ptr_nonnull(strstr(xml, "<VpcSecurityGroups><VpcSecurityGroupMembership><VpcSecurityGroupId>sg-1"));
    ck_assert_ptr_nonnull(strstr(xml, "<MultiAZ>false</MultiAZ>"));
    free(xml);
}
END_TEST

START_TEST(operation_without_output)
{
    char *xml = tu_response_round_trip("iam", "DeleteRole", "{}", "text/xml");
    ck_assert_str_eq(xml, "<DeleteRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
                          "<ResponseMetadata><RequestId>req-1234</RequestId></ResponseMetadata>"
                          "</DeleteRoleResponse>");
    free(xml);
    /* an empty output still has its wrapper */
    xml = tu_response_round_trip("sts", "GetCallerIdentity", "{}", "text/xml");
    ck_assert_ptr_nonnull(strstr(xml, "<GetCallerIdentityResult></GetCallerIdentityResult>"));
    free(xml);
}
END_TEST

START_TEST(responses_ignore_unknown_elements)
{
    const struct dd_service_model *svc = tu_model("sts");
    const struct dd_operation *op = tu_op(svc, "GetCallerIdentity");
    const char *xml = "<?xml version=\"1.0\"?>\n"
                      "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
                      "  <GetCallerIdentityResult>\n    <Arn>arn:aws:iam::1:user/x</Arn>\n"
                      "    <Unknown><Deep>1</Deep></Unknown>\n    <UserId>AIDA</UserId>\n"
                      "    <Account>123456789012</Account>\n  </GetCallerIdentityResult>\n"
                      "  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\n"
                      "</GetCallerIdentityResponse>\n";
    struct dd_error err = {0};
    json_t *out = codec_parse_response(svc, op, 200, xml, strlen(xml), &err);
    ck_assert_ptr_nonnull(out);
    json_t *want = tu_json("{\"Arn\": \"arn:aws:iam::1:user/x\", \"UserId\": \"AIDA\", \"Account\": \"123456789012\"}");
    tu_assert_json_eq(out, want, "GetCallerIdentity");
    json_decref(want);
    json_decref(out);
}
END_TEST

START_TEST(error_round_trip)
{
    const struct dd_service_model *svc = tu_model("iam");
    const struct dd_operation *op = tu_op(svc, "GetRole");
    struct dd_error err = {0}, back = {0};
    dd_err(&err, 404, "NoSuchEntity", "The role with name <app> cannot be found.");
    struct dd_buf xml = {0};
    const char *ctype = NULL;
    codec_write_error(svc, &err, "rid-1", &xml, &ctype);
    ck_assert_str_eq(ctype, "text/xml");
    ck_assert_str_eq(xml.data, "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
                               "<Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name "
                               "&lt;app&gt; cannot be found.</Message></Error><RequestId>rid-1</RequestId>"
                               "</ErrorResponse>");
    ck_assert_ptr_null(codec_parse_response(svc, op, 404, xml.data, xml.len, &back));
    ck_assert_str_eq(back.code, "NoSuchEntity");
    ck_assert_str_eq(back.message, err.message);
    ck_assert_int_eq(back.http_status, 404);
    ck_assert(back.sender);

    buf_reset(&xml);
    dd_err(&err, 500, "ServiceFailure", "boom");
    codec_write_error(svc, &err, "rid-2", &xml, &ctype);
    ck_assert_ptr_nonnull(strstr(xml.data, "<Type>Receiver</Type>"));
    ck_assert_ptr_null(codec_parse_response(svc, op, 500, xml.data, xml.len, &back));
    ck_assert_str_eq(back.code, "ServiceFailure");
    ck_assert(!back.sender);
    buf_free(&xml);
}
END_TEST

START_TEST(malformed_xml_is_an_error)
{
    const struct dd_service_model *svc = tu_model("iam");
    const struct dd_operation *op = tu_op(svc, "GetRole");
    static const char *const bad[] = {
        "",
        "not xml",
        "<GetRoleResponse><GetRoleResult><Role></GetRoleResult>",
        "<a></a><b></b>",
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>"
        "<GetRoleResponse>&lol2;</GetRoleResponse>",
        "<GetRoleResponse><GetRoleResult><Role><MaxSessionDuration>lots</MaxSessionDuration></Role>"
        "</GetRoleResult></GetRoleResponse>",
        "<GetRoleResponse><GetRoleResult><Role><CreateDate>soon</CreateDate></Role></GetRoleResult>"
        "</GetRoleResponse>",
        "<x>\xff</x>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dd_error err = {0};
        ck_assert_msg(codec_parse_response(svc, op, 200, bad[i], strlen(bad[i]), &err) == NULL,
                      "accepted %zu", i);
        ck_assert_str_eq(err.code, "MalformedResponse");
    }
    /* deep nesting is refused, not recursed into */
    struct dd_buf deep = {0};
    for (int i = 0; i < 5000; i++)
        buf_puts(&deep, "<a>");
    struct dd_error err = {0};
    ck_assert_ptr_null(codec_parse_response(svc, op, 200, deep.data, deep.len, &err));
    ck_assert_str_eq(err.code, "MalformedResponse");
    buf_free(&deep);
    /* an error status with an unreadable body keeps its status */
    ck_assert_ptr_null(codec_parse_response(svc, op, 503, "<html>busy", 10, &err));
    ck_assert_int_eq(err.http_status, 503);
    ck_assert_str_eq(err.code, "MalformedResponse");
    ck_assert_ptr_null(codec_parse_response(svc, op, 400, "<Foo/>", 6, &err));
    ck_assert_int_eq(err.http_status, 400);
}
END_TEST

START_TEST(random_xml_never_crashes)
{
    const struct dd_service_model *svc = tu_model("elbv2");
    const struct dd_operation *op = tu_op(svc, "DescribeLoadBalancers");
    static const char *const pieces[] = {
        "<DescribeLoadBalancersResponse>", "<DescribeLoadBalancersResult>", "<LoadBalancers>", "<member>",
        "</member>", "<CreatedTime>", "2020-01-01T00:00:00Z", "</CreatedTime>", "<AvailabilityZones>",
        "</AvailabilityZones>", "x", "&amp;", "<State><Code>", "</Code></State>", "</LoadBalancers>",
        "</DescribeLoadBalancersResult>", "</DescribeLoadBalancersResponse>", "<", ">", "/",
    };
    unsigned seed = 7;
    for (int round = 0; round < 3000; round++) {
        struct dd_buf xml = {0};
        int n = (int)(tu_rand(&seed) % 24);
        for (int i = 0; i < n; i++)
            buf_puts(&xml, pieces[tu_rand(&seed) % (sizeof pieces / sizeof pieces[0])]);
        struct dd_error err = {0};
        json_t *out = codec_parse_response(svc, op, round % 5 ? 200 : 400, xml.data ? xml.data : "",
                                           xml.len, &err);
        ck_assert(out != NULL || err.code[0] != '\0');
        json_decref(out);
        buf_free(&xml);
    }
}
END_TEST

/* ---- timestamps ----------------------------------------------------------- */

START_TEST(timestamp_formatting)
{
    char out[32];
    codec_format_iso8601(0, out);
    ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
    codec_format_iso8601(1.5, out);
    ck_assert_str_eq(out, "1970-01-01T00:00:01.500Z");
    codec_format_iso8601(1700000000, out);
    ck_assert_str_eq(out, "2023-11-14T22:13:20Z");
    codec_format_iso8601(951782400, out); /* leap day 2000 */
    ck_assert_str_eq(out, "2000-02-29T00:00:00Z");
    codec_format_iso8601(-1, out);
    ck_assert_str_eq(out, "1969-12-31T23:59:59Z");
    codec_format_iso8601(1e300, out); /* clamped, never overflowing */
    ck_assert_str_eq(out, "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(timestamp_parsing)
{
    static const struct {
        const char *text;
        double epoch;
    } good[] = {
        {"2023-11-14T22:13:20Z", 1700000000},       {"2023-11-14T22:13:20.250Z", 1700000000.25},
        {"2023-11-14T23:13:20+01:00", 1700000000},  {"2023-11-14T21:13:20-0100", 1700000000},
        {"2023-11-14T22:13:20", 1700000000},        {"2023-11-14", 1699920000},
        {"1700000000", 1700000000},                 {"1700000000.5", 1700000000.5},
        {"Tue, 14 Nov 2023 22:13:20 GMT", 1700000000}, {"2000-02-29T00:00:00Z", 951782400},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double e = -1;
        ck_assert_msg(codec_parse_timestamp(good[i].text, &e) == 0, "rejected %s", good[i].text);
        ck_assert_msg(e == good[i].epoch, "%s -> %f", good[i].text, e);
    }
    static const char *const bad[] = {"", "yesterday", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                                      "2023-11-14T25:00:00Z", "2023-11-14T22:13:20Q", "2023-11-14T22:13:20.Z",
                                      "12abc", "1e5", "2023-1-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double e;
        ck_assert_msg(codec_parse_timestamp(bad[i], &e) == -1, "accepted %s", bad[i]);
    }
}
END_TEST

static Suite *codec_query_suite(void)
{
    Suite *s = suite_create("codec_query");
    TCase *req = tcase_create("requests");
    tcase_add_test(req, sts_assume_role_request);
    tcase_add_test(req, iam_tags_and_integers_request);
    tcase_add_test(req, elbv2_nested_lists_and_maps_request);
    tcase_add_test(req, rds_named_list_members_and_booleans);
    tcase_add_test(req, cloudwatch_timestamps_request);
    tcase_add_test(req, empty_list_is_sent_and_read_as_empty);
    tcase_add_test(req, server_reads_what_clients_send);
    tcase_add_test(req, wrong_types_are_validation_errors);
    tcase_add_test(req, form_decoding);
    tcase_add_test(req, malformed_forms_are_errors);
    tcase_add_test(req, form_requests_only_for_query_services);
    tcase_add_test(req, random_forms_never_crash);
    suite_add_tcase(s, req);
    TCase *resp = tcase_create("responses");
    tcase_add_test(resp, iam_get_role_response);
    tcase_add_test(resp, elbv2_describe_load_balancers_response);
    tcase_add_test(resp, rds_named_items_response);
    tcase_add_test(resp, operation_without_output);
    tcase_add_test(resp, responses_ignore_unknown_elements);
    tcase_add_test(resp, error_round_trip);
    tcase_add_test(resp, malformed_xml_is_an_error);
    tcase_add_test(resp, random_xml_never_crashes);
    suite_add_tcase(s, resp);
    TCase *ts = tcase_create("timestamps");
    tcase_add_test(ts, timestamp_formatting);
    tcase_add_test(ts, timestamp_parsing);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_query_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

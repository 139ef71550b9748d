/* test_codec_ec2.c - the ec2Query protocol (protocol/codec_ec2.c and the
 * shared form/XML/text code), both directions, on the real EC2 model. */
#include "codec_query_testutil.h"

#define EC2_XML_CTYPE "text/xml;charset=UTF-8"

/* ---- requests ------------------------------------------------------------- */

START_TEST(create_vpc_wire_names)
{
    char *body = tu_request_round_trip(
        "ec2", "CreateVpc",
        "{\"CidrBlock\": \"10.0.0.0/16\", \"AmazonProvidedIpv6CidrBlock\": true, \"InstanceTenancy\": \"default\","
        " \"TagSpecifications\": [{\"ResourceType\": \"vpc\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"main vpc\"},"
        "   {\"Key\": \"env\", \"Value\": \"dev\"}]}], \"DryRun\": false}");
    ck_assert_msg(strncmp(body, "Action=CreateVpc&Version=2016-11-15&", 36) == 0, "%s", body);
    ck_assert(tu_form_has(body, "CidrBlock=10.0.0.0%2F16"));
    ck_assert(tu_form_has(body, "AmazonProvidedIpv6CidrBlock=true"));
    /* locationName capitalized: instanceTenancy -> InstanceTenancy, dryRun -> DryRun */
    ck_assert(tu_form_has(body, "InstanceTenancy=default"));
    ck_assert(tu_form_has(body, "DryRun=false"));
    /* lists flattened, with the member's locationName: TagSpecification.N, Tag.N */
    ck_assert(tu_form_has(body, "TagSpecification.1.ResourceType=vpc"));
    ck_assert(tu_form_has(body, "TagSpecification.1.Tag.1.Key=Name"));
    ck_assert(tu_form_has(body, "TagSpecification.1.Tag.1.Value=main%20vpc"));
    ck_assert(tu_form_has(body, "TagSpecification.1.Tag.2.Value=dev"));
    ck_assert_ptr_null(strstr(body, "member"));
    free(body);
}
END_TEST

START_TEST(describe_vpcs_wire_names)
{
    char *body = tu_request_round_trip(
        "ec2", "DescribeVpcs",
        "{\"VpcIds\": [\"vpc-1\", \"vpc-2\"], \"MaxResults\": 5, \"NextToken\": \"t\","
        " \"Filters\": [{\"Name\": \"tag:Name\", \"Values\": [\"web\", \"api\"]}, {\"Name\": \"state\", \"Values\": [\"available\"]}]}");
    ck_assert(tu_form_has(body, "VpcId.1=vpc-1"));
    ck_assert(tu_form_has(body, "VpcId.2=vpc-2"));
    ck_assert(tu_form_has(body, "Filter.1.Name=tag%3AName"));
    ck_assert(tu_form_has(body, "Filter.1.Value.1=web"));
    ck_assert(tu_form_has(body, "Filter.1.Value.2=api"));
    ck_assert(tu_form_has(body, "Filter.2.Value.1=available"));
    ck_assert(tu_form_has(body, "MaxResults=5"));
    free(body);
}
END_TEST

START_TEST(empty_list_is_omitted)
{
    const struct dd_service_model *svc = tu_model("ec2");
    const struct dd_operation *op = tu_op(svc, "DescribeVpcs");
    json_t *in = tu_json("{\"VpcIds\": []}");
    struct dd_buf body = {0};
    struct dd_error err = {0};
    const char *ctype;
    char *target;
    ck_assert_int_eq(codec_write_request(svc, op, in, &body, &ctype, &target, &err), 0);
    ck_assert_str_eq(body.data, "Action=DescribeVpcs&Version=2016-11-15");
    json_decref(in);
    buf_free(&body);
}
END_TEST

START_TEST(timestamps_request)
{
    char *body = tu_request_round_trip(
        "ec2", "DescribeSpotPriceHistory",
        "{\"StartTime\": 1700000000, \"EndTime\": 1700000001.125, \"InstanceTypes\": [\"t3.micro\"],"
        " \"ProductDescriptions\": [\"Linux/UNIX\"]}");
    ck_assert(tu_form_has(body, "StartTime=2023-11-14T22%3A13%3A20Z"));
    ck_assert(tu_form_has(body, "EndTime=2023-11-14T22%3A13%3A21.125Z"));
    ck_assert(tu_form_has(body, "InstanceType.1=t3.micro"));
    ck_assert(tu_form_has(body, "ProductDescription.1=Linux%2FUNIX"));
    free(body);
}
END_TEST

START_TEST(server_reads_the_cli_form)
{
    /* as the AWS CLI sends it: aws ec2 describe-vpcs --vpc-ids ... --filters ... */
    const struct dd_service_model *svc = tu_model("ec2");
    struct dd_error err = {0};
    json_t *in = tu_parse_body(svc, tu_op(svc, "DescribeVpcs"),
                               "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-9&Filter.1.Name=vpc-id"
                               "&Filter.1.Value.2=vpc-b&Filter.1.Value.1=vpc-a&DryRun=true&vpcId.1=ignored",
                               &err);
    ck_assert_msg(in != NULL, "%s", err.message);
    json_t *want = tu_json("{\"VpcIds\": [\"vpc-9\"], \"DryRun\": true,"
                           " \"Filters\": [{\"Name\": \"vpc-id\", \"Values\": [\"vpc-a\", \"vpc-b\"]}]}");
    tu_assert_json_eq(in, want, "DescribeVpcs");
    json_decref(want);
    json_decref(in);
}
END_TEST

START_TEST(wrong_types_are_invalid_parameter_values)
{
    static const struct {
        const char *op, *body, *message;
    } cases[] = {
        {"DescribeVpcs", "MaxResults=abc", "Value (abc) for parameter MaxResults is invalid. Expected an integer"},
        {"DescribeVpcs", "MaxResults=2147483648", "parameter MaxResults"},
        {"DescribeVpcs", "DryRun=yes", "parameter DryRun is invalid. Expected a boolean"},
        {"DescribeSpotPriceHistory", "StartTime=noon", "parameter StartTime is invalid. Expected a timestamp"},
        {"CreateVpc", "Ipv4NetmaskLength=1.5", "parameter Ipv4NetmaskLength"},
    };
    const struct dd_service_model *svc = tu_model("ec2");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dd_error err = {0};
        ck_assert_msg(tu_parse_body(svc, tu_op(svc, cases[i].op), cases[i].body, &err) == NULL,
                      "case %zu accepted", i);
        ck_assert_str_eq(err.code, "InvalidParameterValue");
        ck_assert_int_eq(err.http_status, 400);
        ck_assert_msg(strstr(err.message, cases[i].message) != NULL, "case %zu: %s", i, err.message);
    }
}
END_TEST

START_TEST(malformed_forms_are_errors)
{
    static const char *const bad[] = {"VpcId.1=%G1", "VpcId.1=%C3", "Filter.1.Name=%80", "a=%ED%BF%BF"};
    const struct dd_service_model *svc = tu_model("ec2");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dd_error err = {0};
        ck_assert_ptr_null(tu_parse_body(svc, tu_op(svc, "DescribeVpcs"), bad[i], &err));
        ck_assert_str_eq(err.code, "MalformedQueryString");
        ck_assert_int_eq(err.http_status, 400);
    }
}
END_TEST

START_TEST(random_forms_never_crash)
{
    const struct dd_service_model *svc = tu_model("ec2");
    const struct dd_operation *op = tu_op(svc, "RunInstances");
    static const char alphabet[] = "%=&.+19TagSpecification.Tag.Key.Value.BlockDeviceMapping.Ebs.VolumeSize";
    unsigned seed = 1;
    for (int round = 0; round < 3000; round++) {
        char body[160];
        size_t len = tu_rand(&seed) % sizeof body;
        for (size_t i = 0; i < len; i++)
            body[i] = alphabet[tu_rand(&seed) % (sizeof alphabet - 1)];
        struct dd_error err = {0};
        json_t *in = codec_parse_request(svc, op, body, len, &err);
        ck_assert(in != NULL || err.code[0] != '\0');
        json_decref(in);
    }
}
END_TEST

/* ---- responses ------------------------------------------------------------ */

START_TEST(describe_vpcs_response)
{
    char *xml = tu_response_round_trip(
        "ec2", "DescribeVpcs",
        "{\"Vpcs\": [{\"VpcId\": \"vpc-1\", \"CidrBlock\": \"10.0.0.0/16\", \"State\": \"available\","
        "  \"IsDefault\": false, \"OwnerId\": \"000000000000\", \"DhcpOptionsId\": \"dopt-1\","
        "  \"Tags\": [{\"Key\": \"Name\", \"Value\": \"web\"}, {\"Key\": \"env\", \"Value\": \"a<b\"}],"
        "  \"CidrBlockAssociationSet\": [{\"AssociationId\": \"vpc-cidr-assoc-1\", \"CidrBlock\": \"10.0.0.0/16\","
        "    \"CidrBlockState\": {\"State\": \"associated\"}}]},"
        " {\"VpcId\": \"vpc-2\", \"IsDefault\": true, \"Tags\": []}], \"NextToken\": \"nt\"}",
        EC2_XML_CTYPE);
    const char *prefix =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeVpcsResponse "
        "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-1234</requestId>"
        "<vpcSet><item>";
    ck_assert_msg(strncmp(xml, prefix, strlen(prefix)) == 0, "%s", xml);
    ck_assert_ptr_nonnull(strstr(xml, "<vpcId>vpc-1</vpcId>"));
    ck_assert_ptr_nonnull(strstr(xml, "<cidrBlock>10.0.0.0/16</cidrBlock>"));
    ck_assert_ptr_nonnull(strstr(xml, "<isDefault>false</isDefault>"));
    ck_assert_ptr_nonnull(
        strstr(xml, "<tagSet><item><key>Name</key><value>web</value></item><item><key>env</key><value>a&lt;b"));
    ck_assert_ptr_nonnull(strstr(xml, "<cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-1"));
    ck_assert_ptr_nonnull(strstr(xml, "<cidrBlockState><state>associated</state></cidrBlockState>"));
    ck_assert_ptr_nonnull(strstr(xml, "<tagSet></tagSet>"));
    ck_assert_ptr_nonnull(strstr(xml, "</vpcSet><nextToken>nt</nextToken></DescribeVpcsResponse>"));
    ck_assert_ptr_null(strstr(xml, "<member>"));
    free(xml);
}
END_TEST

START_TEST(create_vpc_response)
{
    char *xml = tu_response_round_trip(
        "ec2", "CreateVpc",
        "{\"Vpc\": {\"VpcId\": \"vpc-1\", \"State\": \"pending\", \"InstanceTenancy\": \"default\"}}",
        EC2_XML_CTYPE);
    ck_assert_ptr_nonnull(strstr(xml, "</requestId><vpc>"));
    ck_assert_ptr_nonnull(strstr(xml, "<instanceTenancy>default</instanceTenancy>"));
    free(xml);
}
END_TEST

START_TEST(timestamps_response)
{
    char *xml = tu_response_round_trip(
        "ec2", "DescribeSpotPriceHistory",
        "{\"SpotPriceHistory\": [{\"AvailabilityZone\": \"us-east-1a\", \"InstanceType\": \"t3.micro\","
        " \"SpotPrice\": \"0.0031\", \"Timestamp\": 1700000000.5}, {\"Timestamp\": 0}]}",
        EC2_XML_CTYPE);
    ck_assert_ptr_nonnull(strstr(xml, "<spotPriceHistorySet><item><availabilityZone>us-east-1a"));
    ck_assert_ptr_nonnull(strstr(xml, "<timestamp>2023-11-14T22:13:20.500Z</timestamp>"));
    ck_assert_ptr_nonnull(strstr(xml, "<timestamp>1970-01-01T00:00:00.000Z</timestamp>"));
    free(xml);
}
END_TEST

START_TEST(action_without_output_returns_true)
{
    char *xml = tu_response_round_trip("ec2", "DeleteVpc", "{}", EC2_XML_CTYPE);
    ck_assert_ptr_nonnull(strstr(xml, "<requestId>req-1234</requestId><return>true</return></DeleteVpcResponse>"));
    free(xml);
}
END_TEST

START_TEST(error_round_trip)
{
    const struct dd_service_model *svc = tu_model("ec2");
    const struct dd_operation *op = tu_op(svc, "DescribeVpcs");
    struct dd_error err = {0}, back = {0};
    dd_err(&err, 400, "InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist");
    struct dd_buf xml = {0};
    const char *ctype = NULL;
    codec_write_error(svc, &err, "rid-9", &xml, &ctype);
    ck_assert_str_eq(ctype, EC2_XML_CTYPE);
    ck_assert_str_eq(xml.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                               "<Code>InvalidVpcID.NotFound</Code><Message>The vpc ID &apos;vpc-1&apos; does "
                               "not exist</Message></Error></Errors><RequestID>rid-9</RequestID></Response>");
    ck_assert_ptr_null(codec_parse_response(svc, op, 400, xml.data, xml.len, &back));
    ck_assert_str_eq(back.code, "InvalidVpcID.NotFound");
    ck_assert_str_eq(back.message, "The vpc ID 'vpc-1' does not exist");
    ck_assert_int_eq(back.http_status, 400);
    ck_assert(back.sender);
    buf_free(&xml);
}
END_TEST

START_TEST(real_aws_response_is_read)
{
    /* the shape of a response captured from EC2: whitespace, namespace, extra elements */
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
        "    <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>\n"
        "    <vpcSet>\n        <item>\n            <vpcId>vpc-0a60eb65b4EXAMPLE</vpcId>\n"
        "            <ownerId>111122223333</ownerId>\n            <state>available</state>\n"
        "            <cidrBlock>10.0.0.0/16</cidrBlock>\n            <isDefault> false </isDefault>\n"
        "            <futureField>x</futureField>\n"
        "            <tagSet>\n                <item>\n                    <key>Name</key>\n"
        "                    <value>prod</value>\n                </item>\n            </tagSet>\n"
        "        </item>\n    </vpcSet>\n</DescribeVpcsResponse>";
    const struct dd_service_model *svc = tu_model("ec2");
    struct dd_error err = {0};
    json_t *out = codec_parse_response(svc, tu_op(svc, "DescribeVpcs"), 200, xml, strlen(xml), &err);
    ck_assert_msg(out != NULL, "%s", err.message);
    json_t *want = tu_json("{\"Vpcs\": [{\"VpcId\": \"vpc-0a60eb65b4EXAMPLE\", \"OwnerId\": \"111122223333\","
                           " \"State\": \"available\", \"CidrBlock\": \"10.0.0.0/16\", \"IsDefault\": false,"
                           " \"Tags\": [{\"Key\": \"Name\", \"Value\": \"prod\"}]}]}");
    tu_assert_json_eq(out, want, "DescribeVpcs");
    json_decref(want);
    json_decref(out);
}
END_TEST

START_TEST(malformed_xml_is_an_error)
{
    const struct dd_service_model *svc = tu_model("ec2");
    const struct dd_operation *op = tu_op(svc, "DescribeVpcs");
    static const char *const bad[] = {
        "<DescribeVpcsResponse><vpcSet><item></vpcSet></DescribeVpcsResponse>",
        "<DescribeVpcsResponse>",
        "<DescribeVpcsResponse><vpcSet><item><isDefault>perhaps</isDefault></item></vpcSet></DescribeVpcsResponse>",
        "\x01\x02",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dd_error err = {0};
        ck_assert_msg(codec_parse_response(svc, op, 200, bad[i], strlen(bad[i]), &err) == NULL,
                      "accepted %zu", i);
        ck_assert_str_eq(err.code, "MalformedResponse");
    }
}
END_TEST

static Suite *codec_ec2_suite(void)
{
    Suite *s = suite_create("codec_ec2");
    TCase *req = tcase_create("requests");
    tcase_add_test(req, create_vpc_wire_names);
    tcase_add_test(req, describe_vpcs_wire_names);
    tcase_add_test(req, empty_list_is_omitted);
    tcase_add_test(req, timestamps_request);
    tcase_add_test(req, server_reads_the_cli_form);
    tcase_add_test(req, wrong_types_are_invalid_parameter_values);
    tcase_add_test(req, malformed_forms_are_errors);
    tcase_add_test(req, random_forms_never_crash);
    suite_add_tcase(s, req);
    TCase *resp = tcase_create("responses");
    tcase_add_test(resp, describe_vpcs_response);
    tcase_add_test(resp, create_vpc_response);
    tcase_add_test(resp, timestamps_response);
    tcase_add_test(resp, action_without_output_returns_true);
    tcase_add_test(resp, error_round_trip);
    tcase_add_test(resp, real_aws_response_is_read);
    tcase_add_test(resp, malformed_xml_is_an_error);
    suite_add_tcase(s, resp);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_ec2_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

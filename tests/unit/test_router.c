/* Unit tests for emulator/router.c: which model and handler a request reaches. */
#include <check.h>
#include <stdlib.h>

#include "router.h"

START_TEST(json_by_target)
{
    const struct dd_service_model *m = router_model("ssm", "AmazonSSM.GetParameter", NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->id, "ssm");
    /* the target alone is enough */
    ck_assert_ptr_eq(router_model(NULL, "AmazonEC2ContainerServiceV20141113.ListClusters", NULL), model_find("ecs"));
}
END_TEST

START_TEST(query_by_scope_and_version)
{
    ck_assert_ptr_eq(router_model("sts", NULL, "2011-06-15"), model_find("sts"));
    ck_assert_ptr_eq(router_model("elasticloadbalancing", NULL, "2015-12-01"), model_find("elbv2"));
    ck_assert_ptr_eq(router_model("monitoring", NULL, "2010-08-01"), model_find("cloudwatch"));
    ck_assert_ptr_eq(router_model(NULL, NULL, "2016-11-15"), model_find("ec2"));
}
END_TEST

START_TEST(scope_without_match_answers_in_that_service)
{
    /* signed for STS with a wrong version: still STS, so the error is STS's */
    ck_assert_ptr_eq(router_model("sts", NULL, "1999-01-01"), model_find("sts"));
    ck_assert_ptr_null(router_model("nosuchservice", NULL, "2011-06-15"));
    ck_assert_ptr_null(router_model(NULL, "Nope.Op", NULL));
}
END_TEST

START_TEST(handlers_by_operation)
{
    const struct dd_service_model *sts = model_find("sts");
    const struct dd_handler *h = router_handler(sts, model_operation(sts, "GetCallerIdentity"));
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(h->operation, "GetCallerIdentity");
    ck_assert_ptr_null(router_handler(sts, model_operation(sts, "AssumeRoleWithSAML")));
    ck_assert_uint_ge(router_implemented(sts), 1);
    ck_assert_ptr_nonnull(router_service(sts));
}
END_TEST

int main(void)
{
    router_init();
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, json_by_target);
    tcase_add_test(tc, query_by_scope_and_version);
    tcase_add_test(tc, scope_without_match_answers_in_that_service);
    tcase_add_test(tc, handlers_by_operation);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

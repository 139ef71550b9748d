/*
 * elbv2_tg.c - target groups, their targets and the targets' health.
 *
 * A target's health follows the emulator's clock: registered in a group some
 * listener or rule forwards to, it is `initial` until its health checks pass
 * (HealthyThresholdCount x HealthCheckIntervalSeconds), then `healthy`; in a
 * group nothing forwards to it is `unused` (Target.NotInUse); deregistered,
 * it is `draining` for the group's deregistration delay and then gone. The
 * admin action target-health (elbv2.c) marks targets unhealthy and back.
 *
 * Also the interface ECS calls (elbv2.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "elbv2_internal.h"
#include "sim.h"

#define MAX_TARGET_GROUPS 3000

static const char MSG_NOT_IN_USE[] = "Target group is not configured to receive traffic from the load balancer";

/* ---- health check defaults -------------------------------------------------- */

static bool is_http(const char *protocol)
{
    return protocol && (strcmp(protocol, "HTTP") == 0 || strcmp(protocol, "HTTPS") == 0);
}

/* The health check settings a new group starts with, by protocol and target
 * type (API_CreateTargetGroup: intervals 30, lambda 35, GENEVE 10; timeouts
 * HTTP 6, TCP/TLS/HTTPS 10, GENEVE 5, lambda 30; thresholds 5 and 2, lambda 5
 * and 5, GENEVE 5 and 2). */
static void health_defaults(json_t *doc, const char *protocol, const char *target_type)
{
    bool lambda = strcmp(target_type, "lambda") == 0, geneve = protocol && strcmp(protocol, "GENEVE") == 0;
    const char *hc_protocol = lambda ? "HTTP" : is_http(protocol) ? protocol : "TCP";
    json_object_set_new(doc, "HealthCheckProtocol", json_string(hc_protocol));
    json_object_set_new(doc, "HealthCheckPort", json_string("traffic-port"));
    json_object_set_new(doc, "HealthCheckEnabled", json_boolean(!lambda));
    json_object_set_new(doc, "HealthCheckIntervalSeconds", json_integer(lambda ? 35 : geneve ? 10 : 30));
    json_object_set_new(doc, "HealthyThresholdCount", json_integer(5));
    json_object_set_new(doc, "UnhealthyThresholdCount", json_integer(lambda ? 5 : 2));
}

/* The timeout default follows the health check protocol actually chosen. */
static int timeout_default(const char *hc_protocol, const char *protocol, const char *target_type)
{
    if (strcmp(target_type, "lambda") == 0)
        return 30;
    if (protocol && strcmp(protocol, "GENEVE") == 0)
        return 5;
    return strcmp(hc_protocol, "HTTP") == 0 ? 6 : 10;
}

/* The attributes a new group has (API_TargetGroupAttribute), by kind. */
static json_t *attrs_defaults(const char *protocol, const char *target_type)
{
    if (strcmp(target_type, "lambda") == 0)
        return json_pack("{s:s}", "lambda.multi_value_headers.enabled", "false");
    json_t *a =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "deregistration_delay.timeout_seconds", "300",
                  "stickiness.enabled", "false", "load_balancing.cross_zone.enabled", "use_load_balancer_configuration",
                  "target_group_health.dns_failover.minimum_healthy_targets.count", "1",
                  "target_group_health.dns_failover.minimum_healthy_targets.percentage", "off",
                  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1",
                  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off");
    json_t *more;
    if (is_http(protocol)) {
        more =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "stickiness.type", "lb_cookie",
                      "stickiness.lb_cookie.duration_seconds", "86400", "stickiness.app_cookie.cookie_name", "",
                      "stickiness.app_cookie.duration_seconds", "86400", "load_balancing.algorithm.type", "round_robin",
                      "load_balancing.algorithm.anomaly_mitigation", "off", "slow_start.duration_seconds", "0");
    } else {
        bool udp = protocol && strstr(protocol, "UDP");
        more = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "stickiness.type", "source_ip",
                         "deregistration_delay.connection_termination.enabled", "false", "preserve_client_ip.enabled",
                         strcmp(target_type, "instance") == 0 || udp ? "true" : "false", "proxy_protocol_v2.enabled",
                         "false", "target_health_state.unhealthy.connection_termination.enabled", "true",
                         "target_health_state.unhealthy.draining_interval_seconds", "0");
    }
    json_object_update(a, more);
    json_decref(more);
    return a;
}

/* ---- target group rules ------------------------------------------------------- */

static int name_or_err(struct dd_request *r, const char *name)
{
    size_t n = strlen(name);
    if (n > 32)
        return dd_reject(r, 400, "ValidationError", "Target group name '%s' cannot be longer than '32' characters",
                         name);
    if (n == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
        return dd_reject(r, 400, "ValidationError",
                         "Target group name '%s' can only contain characters that are alphanumeric characters or "
                         "hyphens(-)",
                         name);
    if (name[0] == '-' || name[n - 1] == '-')
        return dd_reject(r, 400, "ValidationError", "Target group name '%s' cannot begin or end with '-'", name);
    return 0;
}

/* Lambda groups take no protocol, port or VPC; every other kind needs all three. */
static int placement_or_err(struct dd_request *r, json_t *in, const char *target_type)
{
    if (strcmp(target_type, "lambda") == 0) {
        if (dd_in_str(in, "Protocol"))
            return dd_reject(r, 400, "ValidationError",
                             "Protocol cannot be specified for target groups with target type 'lambda'");
        if (json_object_get(in, "Port"))
            return dd_reject(r, 400, "ValidationError",
                             "Port cannot be specified for target groups with target type 'lambda'");
        if (dd_in_str(in, "VpcId"))
            return dd_reject(r, 400, "ValidationError",
                             "VPC ID cannot be specified for target groups with target type 'lambda'");
        return 0;
    }
    if (!dd_in_str(in, "Protocol"))
        return dd_reject(r, 400, "ValidationError", "A protocol must be specified");
    if (!json_object_get(in, "Port"))
        return dd_reject(r, 400, "ValidationError", "A port must be specified");
    if (!dd_in_str(in, "VpcId"))
        return dd_reject(r, 400, "ValidationError", "A VPC ID must be specified");
    if (!ec2_vpc_exists(r, dd_in_str(in, "VpcId")))
        return dd_reject(r, 400, "ValidationError", "The VPC ID '%s' is not found", dd_in_str(in, "VpcId"));
    return 0;
}

/* "200", "200,202", "200-299": codes 200-499 (gRPC 0-99). */
static bool http_codes_valid(const char *codes)
{
    const char *p = codes;
    while (*p) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p)
            return false;
        if (*end == '-') {
            p = end + 1;
            hi = strtol(p, &end, 10);
            if (end == p || hi < lo)
                return false;
        }
        if (lo < 200 || hi > 499)
            return false;
        if (*end == ',')
            end++;
        else if (*end)
            return false;
        p = end;
    }
    return *codes != '\0';
}

/* Copies the call's health check members onto doc and checks the whole. */
static int health_apply(struct dd_request *r, json_t *doc, json_t *in, bool creating)
{
    static const char *const members[] = {"HealthCheckProtocol",
                                          "HealthCheckPort",
                                          "HealthCheckEnabled",
                                          "HealthCheckPath",
                                          "HealthCheckIntervalSeconds",
                                          "HealthCheckTimeoutSeconds",
                                          "HealthyThresholdCount",
                                          "UnhealthyThresholdCount",
                                          "Matcher"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        if (json_object_get(in, members[i]))
            json_object_set(doc, members[i], json_object_get(in, members[i]));
    const char *hc = dd_in_str(doc, "HealthCheckProtocol"), *protocol = dd_in_str(doc, "Protocol");
    const char *type = dd_in_str(doc, "TargetType");
    if (is_http(protocol) && !is_http(hc))
        return dd_reject(r, 400, "ValidationError",
                         "Health check protocol '%s' is not supported for target groups with the protocol '%s'", hc,
                         protocol);
    if (is_http(hc)) {
        if (!json_object_get(doc, "HealthCheckPath"))
            json_object_set_new(doc, "HealthCheckPath", json_string("/"));
        if (!json_object_get(doc, "Matcher"))
            json_object_set_new(doc, "Matcher", json_pack("{s:s}", "HttpCode", "200"));
    } else if (json_object_get(in, "HealthCheckPath")) {
        return dd_reject(r, 400, "ValidationError",
                         "Health check path is only supported for HTTP and HTTPS health "
                         "checks");
    }
    const char *codes = dd_in_str(json_object_get(doc, "Matcher"), "HttpCode");
    if (codes && !http_codes_valid(codes))
        return dd_reject(r, 400, "ValidationError", "HttpCode must be like 200 | 200-399 | 200,201 ...");
    if (creating && !json_object_get(doc, "HealthCheckTimeoutSeconds"))
        json_object_set_new(doc, "HealthCheckTimeoutSeconds", json_integer(timeout_default(hc, protocol, type)));
    if (dd_in_int(doc, "HealthCheckTimeoutSeconds", 0) >= dd_in_int(doc, "HealthCheckIntervalSeconds", 0))
        return dd_reject(r, 400, "ValidationError", "Health check interval must be greater than the timeout.");
    return 0;
}

/* ---- CreateTargetGroup ---------------------------------------------------------- */

/* Same name, same settings: AWS answers the existing group (CreateTargetGroup is idempotent). */
static bool same_settings(json_t *doc, json_t *in, const char *target_type)
{
    static const char *const members[] = {"Protocol", "VpcId"};
    for (size_t i = 0; i < 2; i++) {
        const char *a = dd_in_str(doc, members[i]), *b = dd_in_str(in, members[i]);
        if ((a || b) && (!a || !b || strcmp(a, b) != 0))
            return false;
    }
    return dd_in_int(doc, "Port", 0) == dd_in_int(in, "Port", 0) &&
           strcmp(dd_in_str(doc, "TargetType"), target_type) == 0;
}

static json_t *render_tg(struct dd_request *r, struct elbv2_res *tg)
{
    json_t *doc = elbv2_public(tg->doc);
    json_object_set_new(doc, "LoadBalancerArns", elbv2_tg_load_balancers(r, tg->arn));
    return doc;
}

static json_t *new_target_group(struct dd_request *r, json_t *in, const char *name, const char *target_type)
{
    if (elbv2_count(r, &elbv2_kind_tg, NULL) >= MAX_TARGET_GROUPS)
        return dd_fail(r, 400, "TooManyTargetGroups", "You have reached the maximum number of target groups");
    char id[17];
    elbv2_new_id(id);
    char *arn = dd_arn(r, "elasticloadbalancing", "targetgroup/%s/%s", name, id);
    struct elbv2_res tg;
    elbv2_res_init(&tg, &elbv2_kind_tg, arn, name, NULL);
    free(arn);
    const char *protocol = dd_in_str(in, "Protocol");
    json_object_set_new(tg.doc, "TargetGroupArn", json_string(tg.arn));
    json_object_set_new(tg.doc, "TargetGroupName", json_string(name));
    if (protocol) {
        json_object_set_new(tg.doc, "Protocol", json_string(protocol));
        json_object_set(tg.doc, "Port", json_object_get(in, "Port"));
        json_object_set_new(tg.doc, "VpcId", json_string(dd_in_str(in, "VpcId")));
    }
    health_defaults(tg.doc, protocol, target_type);
    json_object_set_new(tg.doc, "TargetType", json_string(target_type));
    if (is_http(protocol))
        json_object_set_new(tg.doc, "ProtocolVersion",
                            json_string(dd_in_str(in, "ProtocolVersion") ? dd_in_str(in, "ProtocolVersion") : "HTTP1"));
    if (strcmp(target_type, "lambda") != 0)
        json_object_set_new(tg.doc, "IpAddressType",
                            json_string(dd_in_str(in, "IpAddressType") ? dd_in_str(in, "IpAddressType") : "ipv4"));
    json_t *out = NULL;
    json_decref(tg.attrs);
    tg.attrs = attrs_defaults(protocol, target_type);
    if (health_apply(r, tg.doc, in, true) == 0 && elbv2_tags_add(r, tg.arn, json_object_get(in, "Tags")) == 0) {
        elbv2_res_save(r, &tg);
        out = json_pack("{s:[o]}", "TargetGroups", render_tg(r, &tg));
    }
    elbv2_res_free(&tg);
    return out;
}

json_t *elbv2_op_CreateTargetGroup(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Name");
    const char *target_type = dd_in_str(in, "TargetType") ? dd_in_str(in, "TargetType") : "instance";
    if (name_or_err(r, name) || placement_or_err(r, in, target_type))
        return NULL;
    struct elbv2_res old;
    if (elbv2_load_by_name(r, &elbv2_kind_tg, name, &old) == 0) {
        json_t *out =
            same_settings(old.doc, in, target_type) ? json_pack("{s:[o]}", "TargetGroups", render_tg(r, &old)) : NULL;
        elbv2_res_free(&old);
        return out ? out
                   : dd_fail(r, 400, "DuplicateTargetGroupName",
                             "A target group with the same name '%s' exists, but with different settings", name);
    }
    return new_target_group(r, in, name, target_type);
}

/* ---- Describe / Modify / Delete ---------------------------------------------------- */

static json_t *arns_of_names(struct dd_request *r, json_t *names)
{
    json_t *arns = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        struct elbv2_res tg;
        if (elbv2_load_by_name(r, &elbv2_kind_tg, json_string_value(n), &tg)) {
            json_decref(arns);
            return dd_fail(r, 400, "TargetGroupNotFound", "One or more target groups not found");
        }
        json_array_append_new(arns, json_string(tg.arn));
        elbv2_res_free(&tg);
    }
    return arns;
}

json_t *elbv2_op_DescribeTargetGroups(struct dd_request *r, json_t *in)
{
    json_t *arns = json_incref(json_object_get(in, "TargetGroupArns"));
    const char *lb_arn = dd_in_str(in, "LoadBalancerArn");
    if (json_array_size(json_object_get(in, "Names"))) {
        json_decref(arns);
        if (!(arns = arns_of_names(r, json_object_get(in, "Names"))))
            return NULL;
    } else if (lb_arn) {
        struct elbv2_res lb;
        json_decref(arns);
        if (elbv2_get_or_err(r, &elbv2_kind_lb, lb_arn, &lb))
            return NULL;
        elbv2_res_free(&lb);
        arns = elbv2_lb_target_groups(r, lb_arn);
        if (!json_array_size(arns)) {
            json_decref(arns);
            return json_pack("{s:[]}", "TargetGroups");
        }
    }
    json_t *out = elbv2_describe(r, in, &elbv2_kind_tg, arns, NULL, "TargetGroups", render_tg);
    json_decref(arns);
    return out;
}

json_t *elbv2_op_ModifyTargetGroup(struct dd_request *r, json_t *in)
{
    struct elbv2_res tg;
    if (elbv2_get_or_err(r, &elbv2_kind_tg, dd_in_str(in, "TargetGroupArn"), &tg))
        return NULL;
    json_t *out = NULL;
    if (health_apply(r, tg.doc, in, false) == 0) {
        elbv2_res_save(r, &tg);
        out = json_pack("{s:[o]}", "TargetGroups", render_tg(r, &tg));
    }
    elbv2_res_free(&tg);
    return out;
}

json_t *elbv2_op_DeleteTargetGroup(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "TargetGroupArn");
    struct elbv2_res tg;
    if (!elbv2_arn_wellformed(r, &elbv2_kind_tg, arn)) {
        elbv2_malformed(r, &elbv2_kind_tg, arn);
        return NULL;
    }
    if (elbv2_load(r, &elbv2_kind_tg, arn, &tg)) /* already gone: AWS answers success */
        return json_object();
    elbv2_res_free(&tg);
    if (elbv2_tg_in_use(r, arn))
        return dd_fail(r, 400, "ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", arn);
    elbv2_targets_drop(r, arn);
    elbv2_res_delete(r, arn);
    return json_object();
}

static const struct elbv2_attr_rule TG_ATTR_RULES[] = {
    {"deregistration_delay.timeout_seconds", 0, 3600, NULL},
    {"load_balancing.algorithm.type", 0, 0,
     (const char *const[]){"round_robin", "least_outstanding_requests", "weighted_random", NULL}},
    {NULL, 0, 0, NULL},
};

json_t *elbv2_op_ModifyTargetGroupAttributes(struct dd_request *r, json_t *in)
{
    return elbv2_attrs_modify(r, in, &elbv2_kind_tg, "TargetGroupArn", "Target group", TG_ATTR_RULES);
}

json_t *elbv2_op_DescribeTargetGroupAttributes(struct dd_request *r, json_t *in)
{
    return elbv2_attrs_describe(r, in, &elbv2_kind_tg, "TargetGroupArn");
}

/* ---- targets: the store --------------------------------------------------------------- */

struct target {
    int64_t seq; /* 0: not registered */
    char id[256];
    int port;
    char zone[32], state[24], reason[64], description[160];
};

static const char SQL_T_GET[] = "SELECT seq, zone, state, reason, description FROM elbv2_targets WHERE account=?1 AND"
                                " region=?2 AND tg_arn=?3 AND target_id=?4 AND port=?5";
static const char SQL_T_LIST[] = "SELECT seq, target_id, port, zone, state, reason, description FROM elbv2_targets"
                                 " WHERE account=?1 AND region=?2 AND tg_arn=?3 ORDER BY seq";
static const char SQL_T_INSERT[] = "INSERT INTO elbv2_targets (account, region, tg_arn, target_id, port, zone, state,"
                                   " reason, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_T_STATE[] = "UPDATE elbv2_targets SET state=?6, reason=?7, description=?8 WHERE account=?1 AND"
                                  " region=?2 AND tg_arn=?3 AND target_id=?4 AND port=?5";
static const char SQL_T_DELETE[] = "DELETE FROM elbv2_targets WHERE account=?1 AND region=?2 AND tg_arn=?3 AND"
                                   " target_id=?4 AND port=?5";

static void copy_col(char *out, size_t n, sqlite3_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    snprintf(out, n, "%s", s ? s : "");
}

static sqlite3_stmt *target_stmt(struct dd_request *r, const char *sql, const char *tg_arn, const char *id, int port)
{
    sqlite3_stmt *st = dd_stmt(r, sql);
    store_bind_text(st, 3, tg_arn);
    store_bind_text(st, 4, id);
    sqlite3_bind_int(st, 5, port);
    return st;
}

/* Loads the target (t->id and t->port set by the caller): true when registered. */
static bool target_load(struct dd_request *r, const char *tg_arn, struct target *t)
{
    sqlite3_stmt *st = target_stmt(r, SQL_T_GET, tg_arn, t->id, t->port);
    t->seq = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        t->seq = sqlite3_column_int64(st, 0);
        copy_col(t->zone, sizeof t->zone, st, 1);
        copy_col(t->state, sizeof t->state, st, 2);
        copy_col(t->reason, sizeof t->reason, st, 3);
        copy_col(t->description, sizeof t->description, st, 4);
    }
    sqlite3_reset(st);
    return t->seq != 0;
}

/* The event key of a target: "<group ARN>|<id>|<port>". */
static void target_key(const char *tg_arn, const struct target *t, char *out, size_t n)
{
    snprintf(out, n, "%s|%s|%d", tg_arn, t->id, t->port);
}

static int target_parse_key(const char *key, char *tg_arn, size_t n, struct target *t)
{
    const char *bar2 = strrchr(key, '|');
    if (!bar2)
        return -1;
    const char *bar1 = bar2 - 1;
    while (bar1 > key && *bar1 != '|')
        bar1--;
    if (bar1 == key)
        return -1;
    memset(t, 0, sizeof *t);
    snprintf(tg_arn, n, "%.*s", (int)(bar1 - key), key);
    snprintf(t->id, sizeof t->id, "%.*s", (int)(bar2 - bar1 - 1), bar1 + 1);
    t->port = atoi(bar2 + 1);
    return 0;
}

static int target_set(struct dd_request *r, const char *tg_arn, struct target *t, const char *state, const char *reason,
                      const char *description)
{
    snprintf(t->state, sizeof t->state, "%s", state);
    snprintf(t->reason, sizeof t->reason, "%s", reason ? reason : "");
    snprintf(t->description, sizeof t->description, "%s", description ? description : "");
    sqlite3_stmt *st = target_stmt(r, SQL_T_STATE, tg_arn, t->id, t->port);
    store_bind_text(st, 6, state);
    store_bind_text(st, 7, reason);
    store_bind_text(st, 8, description);
    return dd_exec(r, st);
}

static void target_cancel(struct dd_request *r, const char *tg_arn, const struct target *t)
{
    char key[1024];
    target_key(tg_arn, t, key, sizeof key);
    sim_cancel(r, NULL, key);
}

/* ---- targets: the health lifecycle -------------------------------------------------------- */

/* A used group's target: health checks begin (or, disabled, never run). */
static int target_start_checks(struct dd_request *r, struct elbv2_res *tg, struct target *t)
{
    target_cancel(r, tg->arn, t);
    if (!json_is_true(json_object_get(tg->doc, "HealthCheckEnabled")))
        return target_set(r, tg->arn, t, "unavailable", "Target.HealthCheckDisabled", "Health checks are disabled");
    if (target_set(r, tg->arn, t, "initial", "Elb.RegistrationInProgress", "Target registration is in progress"))
        return -1;
    int64_t seconds =
        dd_in_int(tg->doc, "HealthyThresholdCount", 5) * dd_in_int(tg->doc, "HealthCheckIntervalSeconds", 30);
    char key[1024];
    target_key(tg->arn, t, key, sizeof key);
    return sim_schedule(r, sim_delay_ms(seconds, seconds * 1000), "elbv2.target.healthy", key, NULL);
}

static int target_settle(struct dd_request *r, struct elbv2_res *tg, struct target *t, bool used)
{
    if (strcmp(t->state, "draining") == 0)
        return 0;
    if (!used && strcmp(t->state, "unused") != 0) {
        target_cancel(r, tg->arn, t);
        return target_set(r, tg->arn, t, "unused", "Target.NotInUse", MSG_NOT_IN_USE);
    }
    if (used && strcmp(t->state, "unused") == 0)
        return target_start_checks(r, tg, t);
    return 0;
}

/* Calls fn for every target of the group (collected first: fn writes). */
static int targets_each(struct dd_request *r, const char *tg_arn,
                        int (*fn)(struct dd_request *, const char *, struct target *, void *), void *ctx)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_T_LIST);
    store_bind_text(st, 3, tg_arn);
    size_t n = 0, cap = 16;
    struct target *all = malloc(cap * sizeof *all);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap)
            all = realloc(all, (cap *= 2) * sizeof *all);
        struct target *t = &all[n++];
        t->seq = sqlite3_column_int64(st, 0);
        copy_col(t->id, sizeof t->id, st, 1);
        t->port = sqlite3_column_int(st, 2);
        copy_col(t->zone, sizeof t->zone, st, 3);
        copy_col(t->state, sizeof t->state, st, 4);
        copy_col(t->reason, sizeof t->reason, st, 5);
        copy_col(t->description, sizeof t->description, st, 6);
    }
    sqlite3_reset(st);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(r, tg_arn, &all[i], ctx);
    free(all);
    return rc;
}

struct settle_ctx {
    struct elbv2_res *tg;
    bool used;
};

static int settle_one(struct dd_request *r, const char *tg_arn, struct target *t, void *ctx)
{
    (void)tg_arn;
    struct settle_ctx *c = ctx;
    return target_settle(r, c->tg, t, c->used);
}

int elbv2_targets_refresh(struct dd_request *r, const char *tg_arn)
{
    struct elbv2_res tg;
    if (elbv2_load(r, &elbv2_kind_tg, tg_arn, &tg))
        return 0;
    struct settle_ctx c = {&tg, elbv2_tg_in_use(r, tg_arn)};
    int rc = targets_each(r, tg_arn, settle_one, &c);
    elbv2_res_free(&tg);
    return rc;
}

static int drop_one(struct dd_request *r, const char *tg_arn, struct target *t, void *ctx)
{
    (void)ctx;
    target_cancel(r, tg_arn, t);
    return dd_exec(r, target_stmt(r, SQL_T_DELETE, tg_arn, t->id, t->port));
}

void elbv2_targets_drop(struct dd_request *r, const char *tg_arn)
{
    targets_each(r, tg_arn, drop_one, NULL);
}

int elbv2_target_healthy(struct dd_request *r, const char *key, json_t *payload)
{
    (void)payload;
    char tg_arn[512];
    struct target t;
    if (target_parse_key(key, tg_arn, sizeof tg_arn, &t) || !target_load(r, tg_arn, &t))
        return 0;
    if (strcmp(t.state, "initial") != 0)
        return 0;
    return target_set(r, tg_arn, &t, "healthy", NULL, NULL);
}

int elbv2_target_removed(struct dd_request *r, const char *key, json_t *payload)
{
    (void)payload;
    char tg_arn[512];
    struct target t;
    if (target_parse_key(key, tg_arn, sizeof tg_arn, &t) || !target_load(r, tg_arn, &t))
        return 0;
    if (strcmp(t.state, "draining") != 0)
        return 0;
    return dd_exec(r, target_stmt(r, SQL_T_DELETE, tg_arn, t.id, t.port));
}

/* ---- targets: register and deregister ------------------------------------------------------- */

static bool zone_exists(struct dd_request *r, const char *zone)
{
    /* The zones of the region are the first letters after it: "us-east-1a". */
    size_t n = strlen(r->region);
    return strncmp(zone, r->region, n) == 0 && zone[n] >= 'a' && zone[n] <= 'z' && zone[n + 1] == '\0';
}

static bool ipv4_valid(const char *s)
{
    unsigned a, b, c, d;
    char tail;
    return sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 && c < 256 && d < 256;
}

/* An instance target must exist, run, and live in the group's VPC (a zone is not asked for). */
static int instance_valid_or_err(struct dd_request *r, struct elbv2_res *tg, const char *id)
{
    struct ec2_instance_info info;
    if (ec2_instance_get(r, id, &info))
        return dd_reject(r, 400, "InvalidTarget", "The following targets are not valid instances: '%s'", id);
    if (strcmp(info.state, "running") != 0)
        return dd_reject(r, 400, "InvalidTarget",
                         "The following targets are not in a running state and cannot be registered: '%s'", id);
    const char *vpc = dd_in_str(tg->doc, "VpcId");
    if (vpc && strcmp(vpc, info.vpc_id) != 0)
        return dd_reject(r, 400, "InvalidTarget", "The following targets are not in the target group VPC '%s': '%s'",
                         vpc, id);
    return 0;
}

/* The checks a target of this group must pass; the zone to record into t->zone. */
static int target_valid_or_err(struct dd_request *r, struct elbv2_res *tg, struct target *t, const char *zone)
{
    const char *type = dd_in_str(tg->doc, "TargetType");
    if (strcmp(type, "ip") == 0) {
        if (!ipv4_valid(t->id))
            return dd_reject(r, 400, "ValidationError", "The IP address '%s' is not a valid IPv4 address", t->id);
        bool inside = ec2_vpc_contains_ip(r, dd_in_str(tg->doc, "VpcId"), t->id);
        if (!inside && !zone)
            return dd_reject(r, 400, "ValidationError",
                             "The Availability Zone is required for IP address '%s' because it is not in the VPC",
                             t->id);
        if (inside && zone && strcmp(zone, "all") == 0)
            return dd_reject(r, 400, "ValidationError",
                             "The Availability Zone 'all' is only valid for IP addresses outside the VPC, and IP "
                             "address '%s' is in the VPC",
                             t->id);
        if (zone && strcmp(zone, "all") != 0 && !zone_exists(r, zone))
            return dd_reject(r, 400, "ValidationError", "The Availability Zone '%s' is not valid", zone);
    } else if (strcmp(type, "instance") == 0) {
        if (instance_valid_or_err(r, tg, t->id))
            return -1;
    } else if (strcmp(type, "alb") == 0) {
        struct elbv2_res lb;
        if (elbv2_load(r, &elbv2_kind_lb, t->id, &lb))
            return dd_reject(r, 400, "InvalidTarget", "The following targets are not valid load balancers: '%s'",
                             t->id);
        elbv2_res_free(&lb);
    } else if (strncmp(t->id, "arn:aws:lambda:", 15) != 0) {
        return dd_reject(r, 400, "InvalidTarget", "The following targets are not valid Lambda functions: '%s'", t->id);
    }
    snprintf(t->zone, sizeof t->zone, "%s", zone ? zone : "");
    return 0;
}

static int register_one(struct dd_request *r, struct elbv2_res *tg, const char *id, int port, const char *zone)
{
    struct target t = {.port = port ? port : (int)dd_in_int(tg->doc, "Port", 0)};
    snprintf(t.id, sizeof t.id, "%s", id);
    if (target_valid_or_err(r, tg, &t, zone))
        return -1;
    char keep_zone[32];
    snprintf(keep_zone, sizeof keep_zone, "%s", t.zone);
    if (target_load(r, tg->arn, &t)) { /* registered: only a draining one comes back */
        if (strcmp(t.state, "draining") != 0)
            return 0;
        snprintf(t.state, sizeof t.state, "unused");
        return target_settle(r, tg, &t, elbv2_tg_in_use(r, tg->arn));
    }
    sqlite3_stmt *st = target_stmt(r, SQL_T_INSERT, tg->arn, t.id, t.port);
    store_bind_text(st, 6, keep_zone[0] ? keep_zone : NULL);
    store_bind_text(st, 7, "unused");
    store_bind_text(st, 8, "Target.NotInUse");
    store_bind_text(st, 9, MSG_NOT_IN_USE);
    if (dd_exec(r, st))
        return -1;
    snprintf(t.state, sizeof t.state, "unused");
    return target_settle(r, tg, &t, elbv2_tg_in_use(r, tg->arn));
}

/* Deregistering an unregistered (or already draining) target changes nothing. */
static int deregister_one(struct dd_request *r, struct elbv2_res *tg, const char *id, int port)
{
    struct target t = {.port = port ? port : (int)dd_in_int(tg->doc, "Port", 0)};
    snprintf(t.id, sizeof t.id, "%s", id);
    if (!target_load(r, tg->arn, &t) || strcmp(t.state, "draining") == 0)
        return 0;
    target_cancel(r, tg->arn, &t);
    int64_t delay = atoll(dd_in_str(tg->attrs, "deregistration_delay.timeout_seconds")
                              ? dd_in_str(tg->attrs, "deregistration_delay.timeout_seconds")
                              : "0");
    if (delay <= 0 || !elbv2_tg_in_use(r, tg->arn))
        return dd_exec(r, target_stmt(r, SQL_T_DELETE, tg->arn, t.id, t.port));
    if (target_set(r, tg->arn, &t, "draining", "Target.DeregistrationInProgress",
                   "Target deregistration is in progress"))
        return -1;
    char key[1024];
    target_key(tg->arn, &t, key, sizeof key);
    return sim_schedule(r, sim_delay_ms(delay, delay * 1000), "elbv2.target.removed", key, NULL);
}

json_t *elbv2_op_RegisterTargets(struct dd_request *r, json_t *in)
{
    struct elbv2_res tg;
    if (elbv2_get_or_err(r, &elbv2_kind_tg, dd_in_str(in, "TargetGroupArn"), &tg))
        return NULL;
    int rc = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "Targets"), i, t)
    {
        if (rc == 0)
            rc = register_one(r, &tg, dd_in_str(t, "Id"), (int)dd_in_int(t, "Port", 0),
                              dd_in_str(t, "AvailabilityZone"));
    }
    elbv2_res_free(&tg);
    return rc ? NULL : json_object();
}

json_t *elbv2_op_DeregisterTargets(struct dd_request *r, json_t *in)
{
    struct elbv2_res tg;
    if (elbv2_get_or_err(r, &elbv2_kind_tg, dd_in_str(in, "TargetGroupArn"), &tg))
        return NULL;
    int rc = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "Targets"), i, t)
    {
        if (rc == 0)
            rc = deregister_one(r, &tg, dd_in_str(t, "Id"), (int)dd_in_int(t, "Port", 0));
    }
    elbv2_res_free(&tg);
    return rc ? NULL : json_object();
}

/* ---- DescribeTargetHealth ---------------------------------------------------------------- */

static json_t *health_description(struct elbv2_res *tg, const struct target *t)
{
    json_t *target = json_pack("{s:s}", "Id", t->id);
    if (t->port)
        json_object_set_new(target, "Port", json_integer(t->port));
    if (t->zone[0])
        json_object_set_new(target, "AvailabilityZone", json_string(t->zone));
    json_t *health = json_pack("{s:s}", "State", t->state);
    if (t->reason[0])
        json_object_set_new(health, "Reason", json_string(t->reason));
    if (t->description[0])
        json_object_set_new(health, "Description", json_string(t->description));
    json_t *out = json_pack("{s:o, s:o}", "Target", target, "TargetHealth", health);
    const char *hc_port = dd_in_str(tg->doc, "HealthCheckPort");
    if (t->port && hc_port) {
        char port[16];
        snprintf(port, sizeof port, "%d", t->port);
        json_object_set_new(out, "HealthCheckPort", json_string(strcmp(hc_port, "traffic-port") == 0 ? port : hc_port));
    }
    return out;
}

struct describe_ctx {
    struct elbv2_res *tg;
    json_t *items;
};

static int describe_one(struct dd_request *r, const char *tg_arn, struct target *t, void *ctx)
{
    (void)r;
    (void)tg_arn;
    struct describe_ctx *c = ctx;
    json_array_append_new(c->items, health_description(c->tg, t));
    return 0;
}

json_t *elbv2_op_DescribeTargetHealth(struct dd_request *r, json_t *in)
{
    struct elbv2_res tg;
    if (elbv2_get_or_err(r, &elbv2_kind_tg, dd_in_str(in, "TargetGroupArn"), &tg))
        return NULL;
    struct describe_ctx c = {&tg, json_array()};
    json_t *wanted = json_object_get(in, "Targets");
    if (!json_array_size(wanted))
        targets_each(r, tg.arn, describe_one, &c);
    size_t i;
    json_t *w;
    json_array_foreach(wanted, i, w)
    {
        struct target t = {.port = (int)dd_in_int(w, "Port", dd_in_int(tg.doc, "Port", 0))};
        snprintf(t.id, sizeof t.id, "%s", dd_in_str(w, "Id"));
        if (!target_load(r, tg.arn, &t)) {
            snprintf(t.state, sizeof t.state, "unused");
            snprintf(t.reason, sizeof t.reason, "Target.NotRegistered");
            snprintf(t.description, sizeof t.description, "Target is not registered to the target group");
        }
        json_array_append_new(c.items, health_description(&tg, &t));
    }
    elbv2_res_free(&tg);
    return json_pack("{s:o}", "TargetHealthDescriptions", c.items);
}

/* ---- the admin action target-health ---------------------------------------------------------- */

static const char *unhealthy_description(const char *reason)
{
    if (strcmp(reason, "Target.Timeout") == 0)
        return "Request timed out";
    if (strcmp(reason, "Target.FailedHealthChecks") == 0)
        return "Health checks failed";
    return "Health checks failed with these codes: [502]";
}

json_t *elbv2_admin_target_health(struct dd_request *r, json_t *params)
{
    struct elbv2_res tg;
    const char *state = dd_in_str(params, "state"), *reason = dd_in_str(params, "reason"),
               *id = dd_in_str(params, "target_id");
    if (!state || (strcmp(state, "unhealthy") != 0 && strcmp(state, "healthy") != 0) || !id)
        return dd_fail(r, 400, "ValidationError",
                       "target_group_arn, target_id and state (\"unhealthy\" or \"healthy\") are required");
    if (elbv2_get_or_err(r, &elbv2_kind_tg, dd_in_str(params, "target_group_arn"), &tg))
        return NULL;
    struct target t = {.port = (int)dd_in_int(params, "port", dd_in_int(tg.doc, "Port", 0))};
    snprintf(t.id, sizeof t.id, "%s", id);
    json_t *out = NULL;
    if (!target_load(r, tg.arn, &t) || strcmp(t.state, "draining") == 0 || strcmp(t.state, "unused") == 0) {
        dd_fail(r, 409, "InvalidTarget", "Target '%s' port %d is not registered and in use in target group '%s'", id,
                t.port, tg.arn);
    } else {
        target_cancel(r, tg.arn, &t);
        bool sick = strcmp(state, "unhealthy") == 0;
        if (sick && !reason)
            reason = "Target.ResponseCodeMismatch";
        if (target_set(r, tg.arn, &t, state, sick ? reason : NULL, sick ? unhealthy_description(reason) : NULL) == 0)
            out = json_pack("{s:o}", "TargetHealthDescription", health_description(&tg, &t));
    }
    elbv2_res_free(&tg);
    return out;
}

/* ---- the interface ECS calls (elbv2.h) --------------------------------------------------------- */

int elbv2_target_group_get(struct dd_request *r, const char *arn, struct elbv2_target_group_info *info)
{
    struct elbv2_res tg;
    memset(info, 0, sizeof *info);
    if (elbv2_get_or_err(r, &elbv2_kind_tg, arn, &tg))
        return -1;
    snprintf(info->target_type, sizeof info->target_type, "%s", dd_in_str(tg.doc, "TargetType"));
    snprintf(info->protocol, sizeof info->protocol, "%s",
             dd_in_str(tg.doc, "Protocol") ? dd_in_str(tg.doc, "Protocol") : "");
    info->port = (int)dd_in_int(tg.doc, "Port", 0);
    snprintf(info->vpc_id, sizeof info->vpc_id, "%s", dd_in_str(tg.doc, "VpcId") ? dd_in_str(tg.doc, "VpcId") : "");
    info->has_load_balancer = elbv2_tg_in_use(r, arn);
    elbv2_res_free(&tg);
    return 0;
}

int elbv2_register_target(struct dd_request *r, const char *arn, const char *target_id, int port)
{
    struct elbv2_res tg;
    if (elbv2_get_or_err(r, &elbv2_kind_tg, arn, &tg))
        return -1;
    int rc = register_one(r, &tg, target_id, port, NULL);
    elbv2_res_free(&tg);
    return rc;
}

int elbv2_deregister_target(struct dd_request *r, const char *arn, const char *target_id, int port)
{
    struct elbv2_res tg;
    if (elbv2_get_or_err(r, &elbv2_kind_tg, arn, &tg))
        return -1;
    int rc = deregister_one(r, &tg, target_id, port);
    elbv2_res_free(&tg);
    return rc;
}

void elbv2_target_state(struct dd_request *r, const char *arn, const char *target_id, int port, char state[24])
{
    struct target t = {.port = port};
    state[0] = '\0';
    if (!arn || !target_id)
        return;
    snprintf(t.id, sizeof t.id, "%s", target_id);
    if (target_load(r, arn, &t))
        snprintf(state, 24, "%s", t.state);
}

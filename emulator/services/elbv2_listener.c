/*
 * elbv2_listener.c - listeners, their actions, rules and certificates, and
 * the SSL policies (fixtures/elbv2_ssl_policies.json).
 *
 * Every listener has its default rule (a rule row, priority 0, "default")
 * whose actions are the listener's DefaultActions. Each listener and rule
 * records the target groups it forwards to (elbv2_links), which is what puts
 * a target group "in use" and its targets through their health checks.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elbv2_internal.h"

#define MAX_LISTENERS 50
#define MAX_RULES 100
#define MAX_CONDITION_VALUES 5
#define MAX_FORWARD_GROUPS 5
#define MAX_CERTIFICATES 25

static const char *str_or(json_t *obj, const char *key, const char *dflt)
{
    const char *s = dd_in_str(obj, key);
    return s ? s : dflt;
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* ---- actions ------------------------------------------------------------------- */

/* The context an action list is checked in. */
struct action_ctx {
    struct elbv2_res *lb;
    const char *protocol; /* the listener's */
    const char *path;     /* "defaultActions" or "actions", for messages */
};

static int forward_group_or_err(struct dd_request *r, struct action_ctx *c, const char *arn)
{
    struct elbv2_res tg;
    if (!elbv2_arn_wellformed(r, &elbv2_kind_tg, arn))
        return elbv2_malformed(r, &elbv2_kind_tg, arn);
    if (elbv2_load(r, &elbv2_kind_tg, arn, &tg))
        return dd_reject(r, 400, "TargetGroupNotFound", "Target group '%s' not found", arn);
    int rc = 0;
    const char *tg_protocol = dd_in_str(tg.doc, "Protocol"), *vpc = dd_in_str(tg.doc, "VpcId");
    bool http_listener = strcmp(c->protocol, "HTTP") == 0 || strcmp(c->protocol, "HTTPS") == 0;
    bool compatible =
        !tg_protocol || (http_listener ? (strcmp(tg_protocol, "HTTP") == 0 || strcmp(tg_protocol, "HTTPS") == 0)
                                       : strcmp(tg_protocol, c->protocol) == 0 || strcmp(tg_protocol, "TCP_UDP") == 0);
    if (!compatible) {
        rc = dd_reject(r, 400, "IncompatibleProtocols",
                       "Listener protocol '%s' is not supported with a target group with the protocol '%s'",
                       c->protocol, tg_protocol);
    } else if (vpc && strcmp(vpc, dd_in_str(c->lb->doc, "VpcId")) != 0) {
        rc = dd_reject(r, 400, "InvalidConfigurationRequest",
                       "The target group '%s' is not in the same VPC as the load balancer", arn);
    } else {
        json_t *lbs = elbv2_tg_load_balancers(r, arn);
        size_t i;
        json_t *other;
        json_array_foreach(lbs, i, other)
        {
            if (rc == 0 && strcmp(json_string_value(other), c->lb->arn) != 0)
                rc = dd_reject(r, 400, "TargetGroupAssociationLimit",
                               "The following target groups cannot be associated with more than one load balancer: %s",
                               arn);
        }
        json_decref(lbs);
    }
    elbv2_res_free(&tg);
    return rc;
}

/* A forward action gets both forms AWS answers with: TargetGroupArn (when
 * there is one group) and ForwardConfig with weights and stickiness. */
static int forward_or_err(struct dd_request *r, struct action_ctx *c, json_t *a)
{
    json_t *config = json_object_get(a, "ForwardConfig"), *groups = json_object_get(config, "TargetGroups");
    const char *single = dd_in_str(a, "TargetGroupArn");
    if (!single && !json_array_size(groups))
        return dd_reject(r, 400, "ValidationError", "A target group ARN must be specified for a forward action");
    if (single && json_array_size(groups) &&
        (json_array_size(groups) != 1 || strcmp(str_or(json_array_get(groups, 0), "TargetGroupArn", ""), single) != 0))
        return dd_reject(r, 400, "ValidationError",
                         "You cannot specify a target group ARN and a forward configuration with other target groups");
    size_t limit = strcmp(dd_in_str(c->lb->doc, "Type"), "network") == 0 ? 1 : MAX_FORWARD_GROUPS;
    if (json_array_size(groups) > limit)
        return dd_reject(r, 400, "TooManyTargetGroups", "A forward action can have at most '%zu' target groups", limit);
    json_t *list = json_array();
    if (json_array_size(groups)) {
        size_t i;
        json_t *g;
        json_array_foreach(groups, i, g)
        {
            json_array_append_new(list, json_pack("{s:s, s:I}", "TargetGroupArn", str_or(g, "TargetGroupArn", ""),
                                                  "Weight", dd_in_int(g, "Weight", 1)));
        }
    } else {
        json_array_append_new(list, json_pack("{s:s, s:i}", "TargetGroupArn", single, "Weight", 1));
    }
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g)
    {
        if (forward_group_or_err(r, c, dd_in_str(g, "TargetGroupArn"))) {
            json_decref(list);
            return -1;
        }
    }
    json_t *sticky = json_object_get(config, "TargetGroupStickinessConfig");
    sticky = sticky ? json_incref(sticky) : json_pack("{s:b}", "Enabled", 0);
    json_object_set_new(a, "ForwardConfig",
                        json_pack("{s:o, s:o}", "TargetGroups", list, "TargetGroupStickinessConfig", sticky));
    if (json_array_size(list) == 1)
        json_object_set_new(a, "TargetGroupArn", json_string(dd_in_str(json_array_get(list, 0), "TargetGroupArn")));
    return 0;
}

static int redirect_or_err(struct dd_request *r, struct action_ctx *c, json_t *a, size_t index)
{
    json_t *config = json_object_get(a, "RedirectConfig");
    if (!config)
        return dd_reject(r, 400, "ValidationError", "A redirect configuration must be specified for a redirect action");
    const char *protocol = str_or(config, "Protocol", "#{protocol}");
    if (strcmp(protocol, "HTTP") != 0 && strcmp(protocol, "HTTPS") != 0 && strcmp(protocol, "#{protocol}") != 0)
        return dd_reject(r, 400, "ValidationError",
                         "1 validation error detected: Value '%s' at '%s.%zu.member.redirectConfig.protocol' failed "
                         "to satisfy constraint: Member must satisfy regular expression pattern: "
                         "^(HTTPS?|#\\{protocol\\})$",
                         protocol, c->path, index);
    static const char *const parts[][2] = {{"Protocol", "#{protocol}"},
                                           {"Port", "#{port}"},
                                           {"Host", "#{host}"},
                                           {"Path", "/#{path}"},
                                           {"Query", "#{query}"}};
    bool changes = false;
    for (size_t i = 0; i < 5; i++) {
        const char *v = str_or(config, parts[i][0], parts[i][1]);
        changes = changes || strcmp(v, parts[i][1]) != 0;
        json_object_set_new(config, parts[i][0], json_string(v));
    }
    if (!changes)
        return dd_reject(r, 400, "InvalidLoadBalancerAction",
                         "The redirect configuration is not valid: it must change at least one of the protocol, port, "
                         "host, path or query, or it would redirect to itself");
    return 0;
}

static int fixed_response_or_err(struct dd_request *r, struct action_ctx *c, json_t *a, size_t index)
{
    static const char *const types[] = {"text/plain",       "text/css", "text/html", "application/javascript",
                                        "application/json", NULL};
    json_t *config = json_object_get(a, "FixedResponseConfig");
    if (!config)
        return dd_reject(r, 400, "ValidationError",
                         "A fixed response configuration must be specified for a fixed-response action");
    const char *code = str_or(config, "StatusCode", "");
    if (strlen(code) != 3 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || !isdigit((unsigned char)code[1]) ||
        !isdigit((unsigned char)code[2]))
        return dd_reject(r, 400, "ValidationError",
                         "1 validation error detected: Value '%s' at '%s.%zu.member.fixedResponseConfig.statusCode' "
                         "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                         "^(2|4|5)\\d\\d$",
                         code, c->path, index);
    const char *type = dd_in_str(config, "ContentType");
    if (type && !in_list(type, types))
        return dd_reject(r, 400, "InvalidLoadBalancerAction",
                         "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', "
                         "'text/css', 'text/plain'");
    return 0;
}

/* Checks an action list and answers it normalized as AWS stores it (new), or NULL. */
static json_t *actions_or_err(struct dd_request *r, struct action_ctx *c, json_t *actions)
{
    json_t *out = json_deep_copy(actions);
    size_t i, terminal = 0;
    json_t *a;
    bool network = strcmp(dd_in_str(c->lb->doc, "Type"), "network") == 0;
    if (!json_array_size(out)) {
        json_decref(out);
        return dd_fail(r, 400, "ValidationError", "At least one action must be specified");
    }
    json_array_foreach(out, i, a)
    {
        const char *type = str_or(a, "Type", "");
        int rc = 0;
        if (strcmp(type, "forward") == 0)
            rc = forward_or_err(r, c, a);
        else if (network)
            rc = dd_reject(r, 400, "InvalidLoadBalancerAction",
                           "Network Load Balancers only support actions of type 'forward'");
        else if (strcmp(type, "redirect") == 0)
            rc = redirect_or_err(r, c, a, i + 1);
        else if (strcmp(type, "fixed-response") == 0)
            rc = fixed_response_or_err(r, c, a, i + 1);
        else if (strcmp(c->protocol, "HTTPS") != 0)
            rc = dd_reject(r, 400, "InvalidLoadBalancerAction",
                           "Authenticate actions are only supported on HTTPS listeners");
        if (rc) {
            json_decref(out);
            return NULL;
        }
        terminal += strncmp(type, "authenticate-", 13) != 0;
    }
    if (terminal != 1) {
        json_decref(out);
        return dd_fail(r, 400, "InvalidLoadBalancerAction",
                       "An action list must contain exactly one action of type 'forward', 'redirect' or "
                       "'fixed-response'");
    }
    return out;
}

/* ---- certificates and SSL policies ---------------------------------------------------- */

static json_t *ssl_policies(void)
{
    return json_object_get(elbv2_fixture("elbv2_ssl_policies"), "policies");
}

static bool ssl_policy_exists(const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(ssl_policies(), i, p)
    {
        if (strcmp(str_or(p, "Name", ""), name) == 0)
            return true;
    }
    return false;
}

/* An ACM certificate of this region and account, or an IAM server certificate. */
static int certificate_or_err(struct dd_request *r, const char *arn)
{
    char acm[128], iam[96];
    snprintf(acm, sizeof acm, "arn:aws:acm:%s:%s:certificate/", r->region, r->account);
    snprintf(iam, sizeof iam, "arn:aws:iam::%s:server-certificate/", r->account);
    if (arn && ((strncmp(arn, acm, strlen(acm)) == 0 && arn[strlen(acm)]) ||
                (strncmp(arn, iam, strlen(iam)) == 0 && arn[strlen(iam)])))
        return 0;
    return dd_reject(r, 400, "CertificateNotFound", "Certificate '%s' not found", arn ? arn : "");
}

/* The TLS settings of an HTTPS or TLS listener (doc updated), with the call's members. */
static int tls_or_err(struct dd_request *r, json_t *doc, json_t *in)
{
    const char *protocol = dd_in_str(doc, "Protocol");
    bool secure = strcmp(protocol, "HTTPS") == 0 || strcmp(protocol, "TLS") == 0;
    json_t *certs = json_object_get(in, "Certificates");
    if (!secure) {
        json_object_del(doc, "Certificates");
        json_object_del(doc, "SslPolicy");
        return 0;
    }
    if (json_array_size(certs) > 1)
        return dd_reject(r, 400, "ValidationError", "You can specify only one default certificate for a listener");
    if (json_array_size(certs)) {
        const char *arn = dd_in_str(json_array_get(certs, 0), "CertificateArn");
        if (certificate_or_err(r, arn))
            return -1;
        json_object_set_new(doc, "Certificates", json_pack("[{s:s}]", "CertificateArn", arn));
    }
    if (!json_array_size(json_object_get(doc, "Certificates")))
        return dd_reject(r, 400, "ValidationError", "A certificate must be specified for %s listeners", protocol);
    const char *policy = dd_in_str(in, "SslPolicy") ? dd_in_str(in, "SslPolicy") : dd_in_str(doc, "SslPolicy");
    if (!policy)
        policy = str_or(elbv2_fixture("elbv2_ssl_policies"), "default", "ELBSecurityPolicy-2016-08");
    if (!ssl_policy_exists(policy))
        return dd_reject(r, 400, "SSLPolicyNotFound", "SSL policy '%s' not found", policy);
    json_object_set_new(doc, "SslPolicy", json_string(policy));
    return 0;
}

json_t *elbv2_op_DescribeSSLPolicies(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "Names"), *items = json_array();
    const char *type = dd_in_str(in, "LoadBalancerType");
    size_t i, j;
    json_t *p, *n;
    json_array_foreach(names, i, n)
    {
        if (!ssl_policy_exists(json_string_value(n))) {
            json_decref(items);
            return dd_fail(r, 400, "SSLPolicyNotFound", "One or more SSL policies not found");
        }
    }
    json_array_foreach(ssl_policies(), i, p)
    {
        bool wanted = !json_array_size(names);
        json_array_foreach(names, j, n)
        {
            wanted = wanted || strcmp(json_string_value(n), str_or(p, "Name", "")) == 0;
        }
        bool typed = !type;
        json_array_foreach(json_object_get(p, "SupportedLoadBalancerTypes"), j, n)
        {
            typed = typed || strcmp(json_string_value(n), type) == 0;
        }
        if (wanted && typed)
            json_array_append(items, p);
    }
    return json_pack("{s:o}", "SslPolicies", items);
}

/* ---- listeners ---------------------------------------------------------------------- */

static int protocol_or_err(struct dd_request *r, struct elbv2_res *lb, const char *protocol)
{
    static const char *const app[] = {"HTTP", "HTTPS", NULL}, *const net[] = {"TCP", "TLS", "UDP", "TCP_UDP", NULL};
    if (strcmp(dd_in_str(lb->doc, "Type"), "network") == 0) {
        if (!in_list(protocol, net))
            return dd_reject(r, 400, "ValidationError",
                             "Listener protocol '%s' must be one of 'TCP_UDP, UDP, TLS, TCP'", protocol);
    } else if (!in_list(protocol, app)) {
        return dd_reject(r, 400, "ValidationError", "Listener protocol '%s' must be one of 'HTTPS, HTTP'", protocol);
    }
    return 0;
}

struct port_ctx {
    int64_t port;
    const char *except;
};

static int port_taken(struct dd_request *r, struct elbv2_res *l, void *ctx)
{
    (void)r;
    struct port_ctx *c = ctx;
    return l->num == c->port && (!c->except || strcmp(l->arn, c->except) != 0);
}

static int port_or_err(struct dd_request *r, struct elbv2_res *lb, int64_t port, const char *except)
{
    struct port_ctx c = {port, except};
    if (elbv2_each(r, &elbv2_kind_listener, lb->arn, port_taken, &c))
        return dd_reject(r, 400, "DuplicateListener",
                         "A listener already exists on this port for this load balancer "
                         "'%s'",
                         lb->arn);
    return 0;
}

/* listener/app/NAME/LBID/ID and listener-rule/app/NAME/LBID/LID/ID, from their parents' ARNs. */
static char *child_arn(const char *parent, const char *from, const char *to)
{
    const char *at = strstr(parent, from);
    char id[17];
    elbv2_new_id(id);
    size_t n = strlen(parent) + strlen(to) + 20;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s/%s", (int)(at - parent), parent, to, at + strlen(from), id);
    return out;
}

static int default_rule_save(struct dd_request *r, struct elbv2_res *listener, json_t *actions)
{
    struct elbv2_res rule;
    int found = 0;
    json_t *rules = json_object_get(listener->doc, "_default_rule");
    if (json_is_string(rules))
        found = elbv2_load(r, &elbv2_kind_rule, json_string_value(rules), &rule) == 0;
    if (!found) {
        char *arn = child_arn(listener->arn, ":listener/", ":listener-rule/");
        elbv2_res_init(&rule, &elbv2_kind_rule, arn, NULL, listener->arn);
        free(arn);
        json_object_set_new(listener->doc, "_default_rule", json_string(rule.arn));
        json_decref(rule.doc);
        rule.doc = json_pack("{s:s, s:s, s:[], s:b}", "RuleArn", rule.arn, "Priority", "default", "Conditions",
                             "IsDefault", 1);
    }
    json_object_set(rule.doc, "Actions", actions);
    elbv2_res_save(r, &rule);
    int rc = elbv2_links_set(r, rule.arn, listener->parent, actions);
    elbv2_res_free(&rule);
    return rc;
}

json_t *elbv2_op_CreateListener(struct dd_request *r, json_t *in)
{
    struct elbv2_res lb, listener;
    if (elbv2_get_or_err(r, &elbv2_kind_lb, dd_in_str(in, "LoadBalancerArn"), &lb))
        return NULL;
    bool network = strcmp(dd_in_str(lb.doc, "Type"), "network") == 0;
    const char *protocol = str_or(in, "Protocol", network ? "TCP" : "HTTP");
    int64_t port = dd_in_int(in, "Port", 0);
    json_t *out = NULL, *actions = NULL;
    struct action_ctx c = {&lb, protocol, "defaultActions"};
    if (protocol_or_err(r, &lb, protocol))
        goto cleanup;
    if (!port) {
        dd_fail(r, 400, "ValidationError", "A listener port must be specified");
        goto cleanup;
    }
    if (port_or_err(r, &lb, port, NULL))
        goto cleanup;
    if (elbv2_count(r, &elbv2_kind_listener, lb.arn) >= MAX_LISTENERS) {
        dd_fail(r, 400, "TooManyListeners", "You have reached the maximum number of listeners per load balancer");
        goto cleanup;
    }
    if (!(actions = actions_or_err(r, &c, json_object_get(in, "DefaultActions"))))
        goto cleanup;
    char *arn = child_arn(lb.arn, ":loadbalancer/", ":listener/");
    elbv2_res_init(&listener, &elbv2_kind_listener, arn, NULL, lb.arn);
    free(arn);
    listener.num = port;
    json_decref(listener.doc);
    listener.doc = json_pack("{s:s, s:s, s:I, s:s, s:O, s:[]}", "ListenerArn", listener.arn, "LoadBalancerArn", lb.arn,
                             "Port", (json_int_t)port, "Protocol", protocol, "DefaultActions", actions, "_certs");
    if (json_object_get(in, "AlpnPolicy"))
        json_object_set(listener.doc, "AlpnPolicy", json_object_get(in, "AlpnPolicy"));
    if (tls_or_err(r, listener.doc, in) == 0 && default_rule_save(r, &listener, actions) == 0 &&
        elbv2_links_set(r, listener.arn, lb.arn, actions) == 0 &&
        elbv2_tags_add(r, listener.arn, json_object_get(in, "Tags")) == 0) {
        elbv2_res_save(r, &listener);
        out = json_pack("{s:[o]}", "Listeners", elbv2_public(listener.doc));
    }
    elbv2_res_free(&listener);
cleanup:
    json_decref(actions);
    elbv2_res_free(&lb);
    return out;
}

static json_t *render_listener(struct dd_request *r, struct elbv2_res *l)
{
    (void)r;
    return elbv2_public(l->doc);
}

json_t *elbv2_op_DescribeListeners(struct dd_request *r, json_t *in)
{
    const char *lb_arn = dd_in_str(in, "LoadBalancerArn");
    json_t *arns = json_object_get(in, "ListenerArns");
    if (!lb_arn && !json_array_size(arns))
        return dd_fail(r, 400, "ValidationError", "You must specify either listener ARNs or a load balancer ARN");
    if (lb_arn) {
        struct elbv2_res lb;
        if (elbv2_get_or_err(r, &elbv2_kind_lb, lb_arn, &lb))
            return NULL;
        elbv2_res_free(&lb);
    }
    return elbv2_describe(r, in, &elbv2_kind_listener, arns, lb_arn, "Listeners", render_listener);
}

json_t *elbv2_op_ModifyListener(struct dd_request *r, json_t *in)
{
    struct elbv2_res listener, lb;
    if (elbv2_get_or_err(r, &elbv2_kind_listener, dd_in_str(in, "ListenerArn"), &listener))
        return NULL;
    json_t *out = NULL, *actions = NULL;
    if (elbv2_get_or_err(r, &elbv2_kind_lb, listener.parent, &lb)) {
        elbv2_res_free(&listener);
        return NULL;
    }
    const char *protocol = str_or(in, "Protocol", dd_in_str(listener.doc, "Protocol"));
    int64_t port = dd_in_int(in, "Port", listener.num);
    struct action_ctx c = {&lb, protocol, "defaultActions"};
    if (protocol_or_err(r, &lb, protocol) || port_or_err(r, &lb, port, listener.arn))
        goto cleanup;
    actions = json_object_get(in, "DefaultActions") ? actions_or_err(r, &c, json_object_get(in, "DefaultActions"))
                                                    : json_incref(json_object_get(listener.doc, "DefaultActions"));
    if (!actions)
        goto cleanup;
    listener.num = port;
    json_object_set_new(listener.doc, "Port", json_integer(port));
    json_object_set_new(listener.doc, "Protocol", json_string(protocol));
    json_object_set(listener.doc, "DefaultActions", actions);
    if (json_object_get(in, "AlpnPolicy"))
        json_object_set(listener.doc, "AlpnPolicy", json_object_get(in, "AlpnPolicy"));
    if (tls_or_err(r, listener.doc, in) == 0 && default_rule_save(r, &listener, actions) == 0 &&
        elbv2_links_set(r, listener.arn, lb.arn, actions) == 0) {
        elbv2_res_save(r, &listener);
        out = json_pack("{s:[o]}", "Listeners", elbv2_public(listener.doc));
    }
cleanup:
    json_decref(actions);
    elbv2_res_free(&lb);
    elbv2_res_free(&listener);
    return out;
}

static int destroy_rule(struct dd_request *r, struct elbv2_res *rule, void *ctx)
{
    const char *lb_arn = ctx;
    elbv2_links_set(r, rule->arn, lb_arn, NULL);
    elbv2_res_delete(r, rule->arn);
    return 0;
}

void elbv2_listener_destroy(struct dd_request *r, struct elbv2_res *listener)
{
    elbv2_each(r, &elbv2_kind_rule, listener->arn, destroy_rule, listener->parent);
    elbv2_links_set(r, listener->arn, listener->parent, NULL);
    elbv2_res_delete(r, listener->arn);
}

json_t *elbv2_op_DeleteListener(struct dd_request *r, json_t *in)
{
    struct elbv2_res listener;
    if (elbv2_get_or_err(r, &elbv2_kind_listener, dd_in_str(in, "ListenerArn"), &listener))
        return NULL;
    elbv2_listener_destroy(r, &listener);
    elbv2_res_free(&listener);
    return json_object();
}

/* ---- listener certificates ------------------------------------------------------------ */

static json_t *certificates_list(json_t *doc)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "Certificates"), i, c)
    {
        json_array_append_new(
            out, json_pack("{s:s, s:b}", "CertificateArn", str_or(c, "CertificateArn", ""), "IsDefault", 1));
    }
    json_array_foreach(json_object_get(doc, "_certs"), i, c)
    {
        json_array_append_new(out, json_pack("{s:O, s:b}", "CertificateArn", c, "IsDefault", 0));
    }
    return out;
}

static bool cert_listed(json_t *list, const char *arn)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        if (strcmp(json_string_value(c), arn) == 0)
            return true;
    }
    return false;
}

json_t *elbv2_op_AddListenerCertificates(struct dd_request *r, json_t *in)
{
    struct elbv2_res l;
    if (elbv2_get_or_err(r, &elbv2_kind_listener, dd_in_str(in, "ListenerArn"), &l))
        return NULL;
    json_t *certs = json_object_get(in, "Certificates"), *extra = json_object_get(l.doc, "_certs"), *out = NULL;
    size_t i;
    json_t *c;
    int rc = 0;
    json_array_foreach(certs, i, c)
    {
        const char *arn = dd_in_str(c, "CertificateArn");
        if (rc == 0 && (rc = certificate_or_err(r, arn)) == 0 && !cert_listed(extra, arn))
            json_array_append_new(extra, json_string(arn));
    }
    if (rc == 0 && json_array_size(extra) > MAX_CERTIFICATES)
        rc = dd_reject(r, 400, "TooManyCertificates",
                       "You've reached the limit on the number of certificates per "
                       "load balancer");
    if (rc == 0) {
        elbv2_res_save(r, &l);
        out = json_array();
        json_array_foreach(certs, i, c)
        {
            json_array_append_new(
                out, json_pack("{s:s, s:b}", "CertificateArn", dd_in_str(c, "CertificateArn"), "IsDefault", 0));
        }
        out = json_pack("{s:o}", "Certificates", out);
    }
    elbv2_res_free(&l);
    return out;
}

json_t *elbv2_op_RemoveListenerCertificates(struct dd_request *r, json_t *in)
{
    struct elbv2_res l;
    if (elbv2_get_or_err(r, &elbv2_kind_listener, dd_in_str(in, "ListenerArn"), &l))
        return NULL;
    json_t *extra = json_object_get(l.doc, "_certs"), *out = NULL;
    const char *dflt = dd_in_str(json_array_get(json_object_get(l.doc, "Certificates"), 0), "CertificateArn");
    size_t i, j;
    json_t *c, *e;
    json_array_foreach(json_object_get(in, "Certificates"), i, c)
    {
        const char *arn = dd_in_str(c, "CertificateArn");
        if (dflt && arn && strcmp(arn, dflt) == 0) {
            elbv2_res_free(&l);
            return dd_fail(r, 400, "OperationNotPermitted", "The default certificate cannot be removed");
        }
        json_array_foreach(extra, j, e)
        {
            if (arn && strcmp(json_string_value(e), arn) == 0) {
                json_array_remove(extra, j);
                break;
            }
        }
    }
    elbv2_res_save(r, &l);
    out = json_object();
    elbv2_res_free(&l);
    return out;
}

json_t *elbv2_op_DescribeListenerCertificates(struct dd_request *r, json_t *in)
{
    struct elbv2_res l;
    if (elbv2_get_or_err(r, &elbv2_kind_listener, dd_in_str(in, "ListenerArn"), &l))
        return NULL;
    json_t *out = json_pack("{s:o}", "Certificates", certificates_list(l.doc));
    elbv2_res_free(&l);
    return out;
}

/* ---- rule conditions -------------------------------------------------------------------- */

static int too_long(struct dd_request *r, json_t *values, const char *what, size_t limit)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        if (strlen(json_string_value(v)) > limit)
            return dd_reject(r, 400, "ValidationError", "The '%s' value is too long; the limit is '%zu'", what, limit);
    }
    return 0;
}

/* host-header and path-pattern: Values or their config, answered in both forms. */
static int pattern_condition(struct dd_request *r, json_t *cond, const char *field, const char *config_key)
{
    json_t *values = json_object_get(cond, "Values"),
           *config = json_object_get(json_object_get(cond, config_key), "Values");
    if (values && config)
        return dd_reject(r, 400, "ValidationError",
                         "You cannot provide both Values and '%s' for a condition of type '%s'", config_key, field);
    if (values && json_array_size(values) > 1)
        return dd_reject(r, 400, "ValidationError", "The '%s' field contains too many values; the limit is '1'", field);
    json_t *list = values ? values : config;
    if (!json_array_size(list))
        return dd_reject(r, 400, "ValidationError", "A condition value must be specified");
    if (too_long(r, list, field, 128))
        return -1;
    json_incref(list);
    json_object_set(cond, "Values", list);
    json_object_set_new(cond, config_key, json_pack("{s:O}", "Values", list));
    json_decref(list);
    return 0;
}

static int config_condition(struct dd_request *r, json_t *cond, const char *field, const char *config_key)
{
    json_t *config = json_object_get(cond, config_key);
    if (!config)
        return dd_reject(r, 400, "ValidationError", "A '%s' must be specified with '%s'", config_key, field);
    json_t *values = json_object_get(config, "Values");
    size_t i;
    json_t *v;
    if (strcmp(field, "http-header") == 0) {
        if (strlen(str_or(config, "HttpHeaderName", "")) > 40)
            return dd_reject(r, 400, "ValidationError", "The 'HttpHeaderName' value is too long; the limit is '40'");
        return too_long(r, values, field, 128);
    }
    if (strcmp(field, "http-request-method") == 0) {
        if (too_long(r, values, field, 40))
            return -1;
        json_array_foreach(values, i, v)
        {
            const char *s = json_string_value(v);
            if (!*s || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") != strlen(s))
                return dd_reject(r, 400, "ValidationError",
                                 "The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen "
                                 "and underscore");
        }
        return 0;
    }
    if (strcmp(field, "query-string") == 0) {
        json_array_foreach(values, i, v)
        {
            if (!dd_in_str(v, "Value"))
                return dd_reject(r, 400, "ValidationError", "A 'Value' must be specified in 'QueryStringKeyValuePair'");
            if (strlen(str_or(v, "Key", "")) > 128)
                return dd_reject(r, 400, "ValidationError", "The 'Key' value is too long; the limit is '128'");
            if (strlen(dd_in_str(v, "Value")) > 128)
                return dd_reject(r, 400, "ValidationError", "The 'Value' value is too long; the limit is '128'");
        }
        return 0;
    }
    if (!json_array_size(values)) /* source-ip */
        return dd_reject(r, 400, "ValidationError", "A 'source-ip' value must be specified");
    return 0;
}

/* Checks the conditions (normalized in place) against AWS's limits. */
static int conditions_or_err(struct dd_request *r, json_t *conditions)
{
    static const char *const fields[] = {"path-pattern", "host-header", "http-header", "http-request-method",
                                         "query-string", "source-ip",   NULL};
    static const char *const configs[] = {"PathPatternConfig",       "HostHeaderConfig",  "HttpHeaderConfig",
                                          "HttpRequestMethodConfig", "QueryStringConfig", "SourceIpConfig"};
    size_t i, total = 0;
    json_t *cond;
    json_array_foreach(conditions, i, cond)
    {
        const char *field = str_or(cond, "Field", "");
        size_t f = 0;
        while (fields[f] && strcmp(fields[f], field) != 0)
            f++;
        if (!fields[f])
            return dd_reject(r, 400, "ValidationError",
                             "Condition field '%s' must be one of '[path-pattern,host-header,http-header,"
                             "http-request-method,query-string,source-ip]'",
                             field);
        if (f > 1 && json_object_get(cond, "Values"))
            return dd_reject(r, 400, "ValidationError", "The 'Values' field is not compatible with '%s'", field);
        int rc = f <= 1 ? pattern_condition(r, cond, field, configs[f]) : config_condition(r, cond, field, configs[f]);
        if (rc)
            return -1;
        total += json_array_size(json_object_get(json_object_get(cond, configs[f]), "Values"));
    }
    if (total > MAX_CONDITION_VALUES)
        return dd_reject(r, 400, "ValidationError", "A rule can only have '%d' condition values", MAX_CONDITION_VALUES);
    return 0;
}

/* ---- rules -------------------------------------------------------------------------------- */

struct priority_ctx {
    int64_t priority;
    json_t *except; /* rule ARNs being moved (SetRulePriorities), may be NULL */
};

static int priority_taken(struct dd_request *r, struct elbv2_res *rule, void *ctx)
{
    (void)r;
    struct priority_ctx *c = ctx;
    size_t i;
    json_t *a;
    json_array_foreach(c->except, i, a)
    {
        if (strcmp(json_string_value(a), rule->arn) == 0)
            return 0;
    }
    return rule->num == c->priority;
}

static int priority_or_err(struct dd_request *r, const char *listener_arn, int64_t priority, json_t *except)
{
    struct priority_ctx c = {priority, except};
    if (elbv2_each(r, &elbv2_kind_rule, listener_arn, priority_taken, &c))
        return dd_reject(r, 400, "PriorityInUse", "Priority '%lld' is currently in use", (long long)priority);
    return 0;
}

/* The listener and its load balancer, for a rule call. */
static int listener_and_lb(struct dd_request *r, const char *arn, struct elbv2_res *listener, struct elbv2_res *lb)
{
    if (elbv2_get_or_err(r, &elbv2_kind_listener, arn, listener))
        return -1;
    if (elbv2_get_or_err(r, &elbv2_kind_lb, listener->parent, lb)) {
        elbv2_res_free(listener);
        return -1;
    }
    return 0;
}

static json_t *render_rule(struct dd_request *r, struct elbv2_res *rule)
{
    (void)r;
    return elbv2_public(rule->doc);
}

static int rules_count(struct dd_request *r, struct elbv2_res *listener, void *ctx)
{
    *(int64_t *)ctx += elbv2_count(r, &elbv2_kind_rule, listener->arn) - 1; /* the default rule is free */
    return 0;
}

json_t *elbv2_op_CreateRule(struct dd_request *r, json_t *in)
{
    struct elbv2_res listener, lb, rule;
    if (listener_and_lb(r, dd_in_str(in, "ListenerArn"), &listener, &lb))
        return NULL;
    int64_t priority = dd_in_int(in, "Priority", 0), rules = 0;
    json_t *conditions = json_deep_copy(json_object_get(in, "Conditions")), *actions = NULL, *out = NULL;
    struct action_ctx c = {&lb, dd_in_str(listener.doc, "Protocol"), "actions"};
    elbv2_each(r, &elbv2_kind_listener, lb.arn, rules_count, &rules);
    if (rules >= MAX_RULES) {
        dd_fail(r, 400, "TooManyRules", "You've reached the limit on the number of rules per load balancer");
    } else if (priority_or_err(r, listener.arn, priority, NULL) == 0 && conditions_or_err(r, conditions) == 0 &&
               (actions = actions_or_err(r, &c, json_object_get(in, "Actions")))) {
        char *arn = child_arn(listener.arn, ":listener/", ":listener-rule/");
        elbv2_res_init(&rule, &elbv2_kind_rule, arn, NULL, listener.arn);
        free(arn);
        rule.num = priority;
        char prio[16];
        snprintf(prio, sizeof prio, "%lld", (long long)priority);
        json_decref(rule.doc);
        rule.doc = json_pack("{s:s, s:s, s:O, s:O, s:b}", "RuleArn", rule.arn, "Priority", prio, "Conditions",
                             conditions, "Actions", actions, "IsDefault", 0);
        if (elbv2_links_set(r, rule.arn, lb.arn, actions) == 0 &&
            elbv2_tags_add(r, rule.arn, json_object_get(in, "Tags")) == 0) {
            elbv2_res_save(r, &rule);
            out = json_pack("{s:[o]}", "Rules", elbv2_public(rule.doc));
        }
        elbv2_res_free(&rule);
    }
    json_decref(conditions);
    json_decref(actions);
    elbv2_res_free(&listener);
    elbv2_res_free(&lb);
    return out;
}

/* The rules of a listener by priority, the default rule last (a new array of ARNs). */
static int collect_rule(struct dd_request *r, struct elbv2_res *rule, void *ctx)
{
    (void)r;
    json_array_append_new(ctx, json_pack("{s:s, s:I}", "arn", rule->arn, "num", (json_int_t)rule->num));
    return 0;
}

static int by_priority(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "num"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "num"));
    x = x ? x : 1000000;
    y = y ? y : 1000000;
    return x < y ? -1 : x > y;
}

static json_t *rules_in_order(struct dd_request *r, const char *listener_arn)
{
    json_t *rows = json_array();
    elbv2_each(r, &elbv2_kind_rule, listener_arn, collect_rule, rows);
    size_t n = json_array_size(rows);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(rows, i);
    qsort(v, n, sizeof *v, by_priority);
    json_t *arns = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(arns, json_object_get(v[i], "arn"));
    free(v);
    json_decref(rows);
    return arns;
}

json_t *elbv2_op_DescribeRules(struct dd_request *r, json_t *in)
{
    const char *listener_arn = dd_in_str(in, "ListenerArn");
    json_t *arns = json_object_get(in, "RuleArns");
    if (!listener_arn && !json_array_size(arns))
        return dd_fail(r, 400, "ValidationError", "You must specify either listener rule ARNs or a listener ARN");
    if (listener_arn && json_array_size(arns))
        return dd_fail(r, 400, "ValidationError",
                       "Listener rule ARNs and a listener ARN cannot be specified at the same time");
    if (!listener_arn)
        return elbv2_describe(r, in, &elbv2_kind_rule, arns, NULL, "Rules", render_rule);
    struct elbv2_res listener;
    if (elbv2_get_or_err(r, &elbv2_kind_listener, listener_arn, &listener))
        return NULL;
    elbv2_res_free(&listener);
    json_t *ordered = rules_in_order(r, listener_arn), *page = json_array();
    size_t start = dd_in_str(in, "Marker") ? (size_t)strtoul(dd_in_str(in, "Marker"), NULL, 10) : 0;
    size_t size = (size_t)dd_in_int(in, "PageSize", 400);
    for (size_t i = start; i < json_array_size(ordered) && i < start + size; i++)
        json_array_append(page, json_array_get(ordered, i));
    json_t *out = elbv2_describe(r, in, &elbv2_kind_rule, page, NULL, "Rules", render_rule);
    if (out && start + size < json_array_size(ordered)) {
        char next[24];
        snprintf(next, sizeof next, "%zu", start + size);
        json_object_set_new(out, "NextMarker", json_string(next));
    }
    json_decref(page);
    json_decref(ordered);
    return out;
}

json_t *elbv2_op_ModifyRule(struct dd_request *r, json_t *in)
{
    struct elbv2_res rule, listener, lb;
    json_t *conditions = json_object_get(in, "Conditions"), *actions = json_object_get(in, "Actions"), *out = NULL;
    if (!conditions && !actions)
        return dd_fail(r, 400, "ValidationError", "Either conditions or actions must be specified");
    if (elbv2_get_or_err(r, &elbv2_kind_rule, dd_in_str(in, "RuleArn"), &rule))
        return NULL;
    if (listener_and_lb(r, rule.parent, &listener, &lb)) {
        elbv2_res_free(&rule);
        return NULL;
    }
    bool is_default = rule.num == 0;
    struct action_ctx c = {&lb, dd_in_str(listener.doc, "Protocol"), "actions"};
    json_t *conds = conditions ? json_deep_copy(conditions) : NULL, *acts = NULL;
    if (is_default && conditions && json_array_size(conditions)) {
        dd_fail(r, 400, "OperationNotPermitted", "Conditions cannot be specified for the default rule");
    } else if ((!conds || conditions_or_err(r, conds) == 0) && (!actions || (acts = actions_or_err(r, &c, actions)))) {
        if (conds && !is_default)
            json_object_set(rule.doc, "Conditions", conds);
        if (acts) {
            json_object_set(rule.doc, "Actions", acts);
            if (is_default) { /* the default rule's actions are the listener's */
                json_object_set(listener.doc, "DefaultActions", acts);
                elbv2_res_save(r, &listener);
                elbv2_links_set(r, listener.arn, lb.arn, acts);
            }
        }
        if (elbv2_links_set(r, rule.arn, lb.arn, json_object_get(rule.doc, "Actions")) == 0) {
            elbv2_res_save(r, &rule);
            out = json_pack("{s:[o]}", "Rules", elbv2_public(rule.doc));
        }
    }
    json_decref(conds);
    json_decref(acts);
    elbv2_res_free(&rule);
    elbv2_res_free(&listener);
    elbv2_res_free(&lb);
    return out;
}

json_t *elbv2_op_DeleteRule(struct dd_request *r, json_t *in)
{
    struct elbv2_res rule, listener;
    if (elbv2_get_or_err(r, &elbv2_kind_rule, dd_in_str(in, "RuleArn"), &rule))
        return NULL;
    json_t *out = NULL;
    if (rule.num == 0) {
        dd_fail(r, 400, "OperationNotPermitted", "Default rule '%s' cannot be deleted", rule.arn);
    } else if (elbv2_load(r, &elbv2_kind_listener, rule.parent, &listener) == 0) {
        destroy_rule(r, &rule, listener.parent);
        elbv2_res_free(&listener);
        out = json_object();
    }
    elbv2_res_free(&rule);
    return out;
}

/* Checks one pair of SetRulePriorities: its rule, not a default one, not a duplicate priority. */
static int pair_or_err(struct dd_request *r, json_t *pairs, size_t index, struct elbv2_res *rule)
{
    json_t *pair = json_array_get(pairs, index);
    int64_t priority = dd_in_int(pair, "Priority", 0);
    for (size_t j = 0; j < index; j++)
        if (dd_in_int(json_array_get(pairs, j), "Priority", 0) == priority)
            return dd_reject(r, 400, "ValidationError", "Priority '%lld' was provided multiple times",
                             (long long)priority);
    if (elbv2_get_or_err(r, &elbv2_kind_rule, dd_in_str(pair, "RuleArn"), rule))
        return -1;
    if (rule->num == 0) {
        elbv2_res_free(rule);
        return dd_reject(r, 400, "OperationNotPermitted", "Default rule '%s' cannot have its priority changed",
                         dd_in_str(pair, "RuleArn"));
    }
    return 0;
}

json_t *elbv2_op_SetRulePriorities(struct dd_request *r, json_t *in)
{
    json_t *pairs = json_object_get(in, "RulePriorities"), *moved = json_array(), *rules = json_array();
    size_t i;
    json_t *pair;
    json_array_foreach(pairs, i, pair)
    {
        json_array_append_new(moved, json_string(str_or(pair, "RuleArn", "")));
    }
    int rc = 0;
    for (i = 0; i < json_array_size(pairs) && rc == 0; i++) {
        struct elbv2_res rule;
        if ((rc = pair_or_err(r, pairs, i, &rule)) != 0)
            break;
        int64_t priority = dd_in_int(json_array_get(pairs, i), "Priority", 0);
        if ((rc = priority_or_err(r, rule.parent, priority, moved)) == 0) {
            char prio[16];
            snprintf(prio, sizeof prio, "%lld", (long long)priority);
            rule.num = priority;
            json_object_set_new(rule.doc, "Priority", json_string(prio));
            elbv2_res_save(r, &rule);
            json_array_append_new(rules, elbv2_public(rule.doc));
        }
        elbv2_res_free(&rule);
    }
    json_decref(moved);
    if (rc) {
        json_decref(rules);
        return NULL;
    }
    return json_pack("{s:o}", "Rules", rules);
}

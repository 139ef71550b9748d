/*
 * ec2_instance.c - EC2 instances: RunInstances and the lifecycle on the
 * simulation clock, Describe, attributes, instance types and images (the
 * fixtures ec2_instance_types.json and ec2_images.json), the CPU metric
 * and the interface other services use (ec2.h).
 *
 * An instance is a row of kind "instance": vpc_id and parent (its subnet)
 * indexed, `ref` its reservation (one per RunInstances call) and `name` the
 * call's ClientToken. Its primary network interface is a requester-managed
 * ENI, so its subnet, security groups and VPC cannot be deleted while it
 * lives. States follow AWS:
 *
 *     pending --(~1 s / 30 s)--> running --Stop--> stopping --> stopped --Start--> pending
 *     any but terminated --Terminate--> shutting-down --> terminated --(1 h)--> gone
 *
 * Entering running tells the ECS agent (ecs_agent_instance_running); entering
 * stopping or shutting-down tells it the instance went away.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <pthread.h>

#include "../crypto.h"
#include "cloudwatch.h"
#include "ec2.h"
#include "ec2_internal.h"
#include "iam.h"
#include "ecs.h"
#include "fixtures.h"
#include "sim.h"

#define MINUTE_MS 60000
#define USER_DATA_MAX 16384

static const struct ec2_filter_def instance_filters[] = {
    {"availability-zone", "Placement.AvailabilityZone"},
    {"iam-instance-profile.arn", "IamInstanceProfile.Arn"},
    {"image-id", "ImageId"},
    {"instance-id", "InstanceId"},
    {"instance-state-code", "State.Code"},
    {"instance-state-name", "State.Name"},
    {"instance-type", "InstanceType"},
    {"key-name", "KeyName"},
    {"network-interface.network-interface-id", "NetworkInterfaces.NetworkInterfaceId"},
    {"private-dns-name", "PrivateDnsName"},
    {"private-ip-address", "PrivateIpAddress"},
    {"ip-address", "PublicIpAddress"},
    {"subnet-id", "SubnetId"},
    {"vpc-id", "VpcId"},
    {"instance.group-id", "SecurityGroups.GroupId"},
    {"instance.group-name", "SecurityGroups.GroupName"},
    {"architecture", "Architecture"},
    {NULL, NULL},
};

/* No index filters: a terminated instance keeps its subnet and VPC in the
 * document only (its row's columns are cleared so nothing depends on it). */
const struct ec2_kind ec2_kind_instance = {
    .type = "instance",
    .prefix = "i-",
    .noun = "instance",
    .not_found = "InvalidInstanceID.NotFound",
    .not_found_fmt = "The instance ID '%s' does not exist",
    .malformed = "InvalidInstanceID.Malformed",
    .list_member = "Instances",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "instance",
    .filters = instance_filters,
};

/* ---- fixtures: instance types and images ------------------------------------------- */

static json_t *g_types, *g_images;
static pthread_once_t g_fixtures_once = PTHREAD_ONCE_INIT;

static json_t *fixture_list(const char *name, const char *member)
{
    json_t *doc = fixture_json(name), *list = json_incref(json_object_get(doc, member));
    json_decref(doc);
    return list ? list : json_array();
}

static void fixtures_load(void)
{
    g_types = fixture_list("ec2_instance_types", "instance_types");
    g_images = fixture_list("ec2_images", "images");
}

/* The entry of `list` whose `key` is `value` (borrowed), or NULL. */
static json_t *fixture_find(json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) if (value && strcmp(dd_in_str(e, key), value) == 0) return e;
    return NULL;
}

json_t *ec2_instance_type(const char *name)
{
    pthread_once(&g_fixtures_once, fixtures_load);
    return fixture_find(g_types, "name", name);
}

json_t *ec2_image(const char *id)
{
    pthread_once(&g_fixtures_once, fixtures_load);
    return fixture_find(g_images, "ImageId", id);
}

/* ---- states ---------------------------------------------------------------------- */

static int state_code(const char *name)
{
    static const struct {
        const char *name;
        int code;
    } codes[] = {{"pending", 0},     {"running", 16}, {"shutting-down", 32},
                 {"terminated", 48}, {"stopping", 64}, {"stopped", 80}};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strcmp(codes[i].name, name) == 0)
            return codes[i].code;
    return 0;
}

static json_t *state_doc(const char *name)
{
    return json_pack("{s:i, s:s}", "Code", state_code(name), "Name", name);
}

static const char *state_of(struct ec2_res *inst)
{
    const char *s = dd_in_str(json_object_get(inst->doc, "State"), "Name");
    return s ? s : "";
}

static void set_state(struct ec2_res *inst, const char *name)
{
    json_object_set_new(inst->doc, "State", state_doc(name));
}

/* AWS's StateTransitionReason and StateReason for a user's stop or terminate. */
static void user_initiated(struct dd_request *r, struct ec2_res *inst)
{
    char when[64], reason[96];
    time_t t = (time_t)(r->now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S GMT", &tm);
    snprintf(reason, sizeof reason, "User initiated (%s)", when);
    json_object_set_new(inst->doc, "StateTransitionReason", json_string(reason));
    json_object_set_new(inst->doc, "StateReason",
                        json_pack("{s:s, s:s}", "Code", "Client.UserInitiatedShutdown", "Message",
                                  "Client.UserInitiatedShutdown: User initiated shutdown"));
}

/* ---- RunInstances: the launch specification --------------------------------------- */

/* What one RunInstances call launches, resolved and checked. */
struct launch {
    json_t *spec;  /* the template's data under the call's own members (owned) */
    json_t *type;  /* fixture entry (borrowed) */
    json_t *image; /* fixture entry (borrowed) */
    struct ec2_res subnet;
    json_t *group_ids; /* owned, or NULL: the VPC's default group */
    const char *private_ip;
    bool public_ip;
    char profile_arn[640], profile_id[64];
};

/* The instance profile the spec names, as IAM knows it. */
static int profile_or_err(struct dd_request *r, json_t *spec, struct launch *l)
{
    json_t *p = json_object_get(spec, "IamInstanceProfile");
    const char *arn = dd_in_str(p, "Arn"), *name = dd_in_str(p, "Name");
    if (!arn && !name)
        return 0;
    char found_arn[640], found_id[32];
    if (iam_instance_profile_lookup(r, arn ? NULL : name, arn, found_arn, found_id)) {
        snprintf(l->profile_arn, sizeof l->profile_arn, "%s", found_arn);
        snprintf(l->profile_id, sizeof l->profile_id, "%s", found_id);
        return 0;
    }
    if (arn)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN",
                         arn);
    return dd_reject(r, 400, "InvalidParameterValue",
                     "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
                     name);
}

static int image_or_err(struct dd_request *r, const char *id, struct launch *l)
{
    if (!id)
        return dd_reject(r, 400, "MissingParameter", "The request must contain the parameter ImageId");
    if (!ec2_id_wellformed(id, "ami-"))
        return dd_reject(r, 400, "InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", id);
    if (!(l->image = ec2_image(id)))
        return dd_reject(r, 400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id);
    return 0;
}

static int type_or_err(struct dd_request *r, const char *name, struct launch *l)
{
    if (!name)
        name = "m1.small"; /* AWS's default, which drydock does not offer */
    if (!(l->type = ec2_instance_type(name)))
        return dd_reject(r, 400, "InvalidParameterValue", "Invalid value '%s' for InstanceType.", name);
    const char *type_arch = dd_in_str(l->type, "arch"), *ami_arch = dd_in_str(l->image, "Architecture");
    if (strcmp(type_arch, ami_arch) != 0)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The architecture '%s' of the specified instance type does not match the architecture '%s' "
                         "of the specified AMI. Specify an instance type and an AMI that have matching "
                         "architectures, and try again. You can use 'describe-instance-types' or 'describe-images' "
                         "to discover the architecture of the instance type or AMI.",
                         type_arch, ami_arch);
    return 0;
}

/* Security group names (of the default VPC, as AWS resolves them) into ids. */
static int group_names_or_err(struct dd_request *r, json_t *names, json_t *ids)
{
    char vpc[64];
    ec2_default_vpc(r, vpc);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        bool found = false;
        json_t *sgs = json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}]}", "Filters", "Name",
                                "vpc-id", "Values", vpc, "Name", "group-name", "Values", json_string_value(n));
        json_t *found_doc = ec2_describe(r, sgs, &ec2_kind_sg, NULL);
        json_decref(sgs);
        json_t *first = json_array_get(json_object_get(found_doc, "SecurityGroups"), 0);
        if (first) {
            json_array_append_new(ids, json_string(dd_in_str(first, "GroupId")));
            found = true;
        }
        json_decref(found_doc);
        if (!found) {
            if (vpc[0])
                return dd_reject(r, 400, "InvalidGroup.NotFound",
                                 "The security group '%s' does not exist in default VPC '%s'", json_string_value(n),
                                 vpc);
            return dd_reject(r, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
                             json_string_value(n));
        }
    }
    return 0;
}

/* The subnet, groups and addresses: the call's members, else its first network interface's. */
static int network_or_err(struct dd_request *r, json_t *spec, struct launch *l)
{
    json_t *nic = json_array_get(json_object_get(spec, "NetworkInterfaces"), 0);
    const char *subnet_id = dd_in_str(spec, "SubnetId");
    if (!subnet_id)
        subnet_id = dd_in_str(nic, "SubnetId");
    l->private_ip = dd_in_str(spec, "PrivateIpAddress");
    if (!l->private_ip)
        l->private_ip = dd_in_str(nic, "PrivateIpAddress");
    json_t *ids = json_array();
    l->group_ids = ids;
    json_t *given = json_object_get(spec, "SecurityGroupIds");
    if (!json_array_size(given))
        given = json_object_get(nic, "Groups");
    json_array_extend(ids, given);
    if (group_names_or_err(r, json_object_get(spec, "SecurityGroups"), ids))
        return -1;
    if (!subnet_id) {
        /* the default VPC's subnet in the first zone (or the one Placement names) */
        char vpc[64];
        json_t *subnets = json_array();
        if (ec2_default_vpc_subnets(r, vpc, subnets)) {
            json_decref(subnets);
            return -1;
        }
        const char *zone = dd_in_str(json_object_get(spec, "Placement"), "AvailabilityZone");
        size_t i;
        json_t *s;
        json_array_foreach(subnets, i, s)
        {
            struct ec2_subnet_info info;
            if (!subnet_id || (zone && ec2_subnet_info(r, json_string_value(s), &info) == 0 &&
                               strcmp(info.zone, zone) == 0))
                subnet_id = json_string_value(s);
        }
        int rc = subnet_id ? ec2_res_get_or_err(r, &ec2_kind_subnet, subnet_id, &l->subnet)
                           : dd_reject(r, 400, "VPCIdNotSpecified", "No default VPC for this user");
        json_decref(subnets);
        if (rc)
            return -1;
    } else if (ec2_res_get_or_err(r, &ec2_kind_subnet, subnet_id, &l->subnet)) {
        return -1;
    }
    json_t *assoc = json_object_get(nic, "AssociatePublicIpAddress");
    l->public_ip = assoc ? json_is_true(assoc) : dd_in_bool(l->subnet.doc, "MapPublicIpOnLaunch");
    if (!json_array_size(ids)) {
        json_decref(ids);
        l->group_ids = NULL;
    }
    return 0;
}

/* Checks the user data is base64 of at most 16 KiB. */
static int user_data_or_err(struct dd_request *r, const char *b64)
{
    unsigned char *raw = NULL;
    long n = b64 ? crypto_base64_decode(b64, strlen(b64), &raw) : 0;
    free(raw);
    if (n < 0)
        return dd_reject(r, 400, "InvalidParameterValue", "Invalid BASE64 encoding of user data");
    if (n > USER_DATA_MAX)
        return dd_reject(r, 400, "InvalidParameterValue", "User data is limited to %d bytes", USER_DATA_MAX);
    return 0;
}

/* The tag specifications of one resource type (a new input for ec2_tag_specs); others are checked. */
static int tag_specs_split(struct dd_request *r, json_t *spec, json_t **instance, json_t **eni)
{
    json_t *is = json_array(), *es = json_array();
    *instance = json_pack("{s:o}", "TagSpecifications", is);
    *eni = json_pack("{s:o}", "TagSpecifications", es);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(spec, "TagSpecifications"), i, s)
    {
        const char *type = dd_in_str(s, "ResourceType");
        if (type && strcmp(type, "instance") == 0)
            json_array_append(is, s);
        else if (type && strcmp(type, "network-interface") == 0)
            json_array_append(es, s);
        else if (!type || strcmp(type, "volume") != 0)
            return dd_reject(r, 400, "InvalidParameterValue",
                             "'%s' is not a valid taggable resource type for this operation.", type ? type : "null");
    }
    return 0;
}

/* Tags whose keys start with "aws:" are set only by AWS (EC2 Auto Scaling's
 * aws:autoscaling:groupName): from another service's call they are moved out
 * of the specification into `reserved` and applied as they are. */
static void take_reserved_tags(json_t *specs_in, json_t *reserved)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(specs_in, "TagSpecifications"), i, s)
    {
        json_t *tags = json_object_get(s, "Tags"), *kept = json_array();
        size_t j;
        json_t *t;
        json_array_foreach(tags, j, t)
        {
            const char *key = dd_in_str(t, "Key");
            json_array_append(key && strncmp(key, "aws:", 4) == 0 ? reserved : kept, t);
        }
        json_object_set_new(s, "Tags", kept);
    }
}

/* ---- launch templates, as RunInstances reads them (ec2_launch_template.c) ---------- */

/* The call's members over its template's data (new reference), or NULL (r->err). */
static json_t *merged_spec(struct dd_request *r, json_t *in)
{
    json_t *lt = json_object_get(in, "LaunchTemplate");
    json_t *spec = json_object();
    if (lt) {
        json_t *data = ec2_launch_template_data(r, lt);
        if (!data) {
            json_decref(spec);
            return NULL;
        }
        json_object_update(spec, data);
        json_decref(data);
    }
    json_object_update(spec, in);
    return spec;
}

/* ---- RunInstances ------------------------------------------------------------------- */

static void launch_free(struct launch *l)
{
    json_decref(l->spec);
    json_decref(l->group_ids);
    ec2_res_free(&l->subnet);
}

static int launch_prepare(struct dd_request *r, json_t *in, struct launch *l)
{
    memset(l, 0, sizeof *l);
    if (!(l->spec = merged_spec(r, in)))
        return -1;
    json_t *spec = l->spec;
    const char *key = dd_in_str(spec, "KeyName");
    if (image_or_err(r, dd_in_str(spec, "ImageId"), l) || type_or_err(r, dd_in_str(spec, "InstanceType"), l) ||
        user_data_or_err(r, dd_in_str(spec, "UserData")) || profile_or_err(r, spec, l))
        return -1;
    if (key && ec2_count(r, &ec2_kind_key, "name", key) == 0)
        return dd_reject(r, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist", key);
    return network_or_err(r, spec, l);
}

static json_t *metadata_options(json_t *spec)
{
    json_t *m = json_object_get(spec, "MetadataOptions");
    const char *tokens = dd_in_str(m, "HttpTokens"), *endpoint = dd_in_str(m, "HttpEndpoint"),
               *v6 = dd_in_str(m, "HttpProtocolIpv6"), *tags = dd_in_str(m, "InstanceMetadataTags");
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "State", "pending", "HttpTokens",
                     tokens ? tokens : "required", "HttpPutResponseHopLimit",
                     dd_in_int(m, "HttpPutResponseHopLimit", 2), "HttpEndpoint", endpoint ? endpoint : "enabled",
                     "HttpProtocolIpv6", v6 ? v6 : "disabled", "InstanceMetadataTags", tags ? tags : "disabled");
}

/* A public address from AWS's us-east-1 pool look (54.160.0.0/11) and its DNS name. */
static void public_address(struct dd_request *r, char ip[16], char dns[128])
{
    unsigned char b[3];
    RAND_bytes(b, sizeof b);
    snprintf(ip, 16, "54.%u.%u.%u", 160u + b[0] % 32u, b[1], 1u + b[2] % 254u);
    char dashed[16];
    snprintf(dashed, sizeof dashed, "%s", ip);
    for (char *c = dashed; *c; c++)
        if (*c == '.')
            *c = '-';
    if (strcmp(r->region, "us-east-1") == 0)
        snprintf(dns, 128, "ec2-%s.compute-1.amazonaws.com", dashed);
    else
        snprintf(dns, 128, "ec2-%s.%s.compute.amazonaws.com", dashed, r->region);
}

/* The instance's NetworkInterfaces member from its ENI (new reference). */
static json_t *nic_doc(struct ec2_res *eni, const char *public_ip, const char *public_dns, int64_t now_ms)
{
    json_t *e = eni->doc;
    json_t *assoc = public_ip ? json_pack("{s:s, s:s, s:s}", "IpOwnerId", "amazon", "PublicDnsName", public_dns,
                                          "PublicIp", public_ip)
                              : NULL;
    json_t *addr = json_pack("{s:b, s:s, s:s}", "Primary", 1, "PrivateDnsName", dd_in_str(e, "PrivateDnsName"),
                             "PrivateIpAddress", dd_in_str(e, "PrivateIpAddress"));
    json_t *nic = json_pack(
        "{s:{s:s, s:o, s:b, s:i, s:s, s:i}, s:s, s:O, s:[], s:s, s:s, s:s, s:s, s:s, s:s, s:[o], s:b, s:s, s:s, s:s}",
        "Attachment", "AttachmentId", "", "AttachTime", dd_time(now_ms), "DeleteOnTermination", 1, "DeviceIndex", 0,
        "Status", "attached", "NetworkCardIndex", 0, "Description", "", "Groups", json_object_get(e, "Groups"),
        "Ipv6Addresses", "MacAddress", dd_in_str(e, "MacAddress"), "NetworkInterfaceId", eni->id, "OwnerId",
        dd_in_str(e, "OwnerId"), "PrivateDnsName", dd_in_str(e, "PrivateDnsName"), "PrivateIpAddress",
        dd_in_str(e, "PrivateIpAddress"), "Status", "in-use", "PrivateIpAddresses", addr, "SourceDestCheck", 1,
        "SubnetId", eni->parent, "VpcId", eni->vpc_id, "InterfaceType", "interface");
    char attach_id[64];
    ec2_new_id("eni-attach-", attach_id);
    json_object_set_new(json_object_get(nic, "Attachment"), "AttachmentId", json_string(attach_id));
    if (assoc) {
        json_object_set(nic, "Association", assoc);
        json_object_set_new(addr, "Association", assoc);
    }
    return nic;
}

/* Gives an instance a new public address, or releases it (AWS does on every stop). */
static void set_public_address(struct dd_request *r, struct ec2_res *inst, bool on)
{
    json_t *nic = json_array_get(json_object_get(inst->doc, "NetworkInterfaces"), 0);
    json_t *addr = json_array_get(json_object_get(nic, "PrivateIpAddresses"), 0);
    if (!on) {
        json_object_del(inst->doc, "PublicIpAddress");
        json_object_set_new(inst->doc, "PublicDnsName", json_string(""));
        json_object_del(nic, "Association");
        json_object_del(addr, "Association");
        return;
    }
    char ip[16], dns[128];
    public_address(r, ip, dns);
    json_t *assoc = json_pack("{s:s, s:s, s:s}", "IpOwnerId", "amazon", "PublicDnsName", dns, "PublicIp", ip);
    json_object_set_new(inst->doc, "PublicIpAddress", json_string(ip));
    json_object_set_new(inst->doc, "PublicDnsName", json_string(dns));
    if (nic)
        json_object_set(nic, "Association", assoc);
    if (addr)
        json_object_set(addr, "Association", assoc);
    json_decref(assoc);
}

/* One instance of the launch, saved with its interface. */
static int launch_one(struct dd_request *r, struct launch *l, const char *reservation, int index, bool internal,
                      json_t *ids)
{
    struct ec2_res inst = {0}, eni = {0};
    json_t *inst_tags = NULL, *eni_tags = NULL, *reserved = json_array();
    int rc = -1;
    ec2_res_init(&inst, &ec2_kind_instance);
    if (tag_specs_split(r, l->spec, &inst_tags, &eni_tags))
        goto cleanup;
    if (internal)
        take_reserved_tags(inst_tags, reserved);
    if (ec2_eni_create(r, &l->subnet, l->group_ids, index == 0 ? l->private_ip : NULL, "", "interface", true,
                       eni_tags, &eni))
        goto cleanup;
    char public_ip[16] = "", public_dns[128] = "";
    if (l->public_ip)
        public_address(r, public_ip, public_dns);
    json_t *spec = l->spec, *type = l->type, *img = l->image;
    const char *ami_root = dd_in_str(img, "RootDeviceName");
    char volume[64];
    ec2_new_id("vol-", volume);
    int vcpus = (int)dd_in_int(type, "vcpus", 2);
    json_t *doc = json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:s, s:i, s:[], s:s, s:o, s:{s:s, s:s, s:s}, s:{s:s}, s:s, s:s, s:s, s:s,"
        " s:s, s:s, s:[{s:s, s:{s:o, s:b, s:s, s:s}}], s:s, s:b, s:b, s:s, s:[o], s:O, s:b, s:s, s:[],"
        " s:{s:i, s:i}, s:o, s:s, s:s, s:{s:s, s:b, s:b}, s:s}",
        "InstanceId", inst.id, "ImageId", dd_in_str(img, "ImageId"), "State", state_doc("pending"), "PrivateDnsName",
        dd_in_str(eni.doc, "PrivateDnsName"), "PublicDnsName", public_dns, "StateTransitionReason", "",
        "AmiLaunchIndex", index, "ProductCodes", "InstanceType", dd_in_str(type, "name"), "LaunchTime",
        dd_time(r->now_ms), "Placement", "AvailabilityZone", dd_in_str(l->subnet.doc, "AvailabilityZone"),
        "GroupName", "", "Tenancy", "default", "Monitoring", "State", "disabled", "SubnetId", l->subnet.id, "VpcId",
        l->subnet.vpc_id, "PrivateIpAddress", dd_in_str(eni.doc, "PrivateIpAddress"), "Architecture",
        dd_in_str(img, "Architecture"), "RootDeviceType", "ebs", "RootDeviceName", ami_root, "BlockDeviceMappings",
        "DeviceName", ami_root, "Ebs", "AttachTime", dd_time(r->now_ms), "DeleteOnTermination", 1, "Status",
        "attached", "VolumeId", volume, "Hypervisor", "xen", "EbsOptimized", 0, "EnaSupport", 1, "ClientToken",
        dd_in_str(spec, "ClientToken") ? dd_in_str(spec, "ClientToken") : "", "NetworkInterfaces",
        nic_doc(&eni, l->public_ip ? public_ip : NULL, public_dns, r->now_ms), "SecurityGroups",
        json_object_get(eni.doc, "Groups"), "SourceDestCheck", 1, "VirtualizationType", "hvm", "Tags", "CpuOptions",
        "CoreCount", vcpus / 2 ? vcpus / 2 : 1, "ThreadsPerCore", vcpus > 1 ? 2 : 1, "MetadataOptions",
        metadata_options(spec), "PlatformDetails", dd_in_str(img, "PlatformDetails"), "UsageOperation",
        "RunInstances", "PrivateDnsNameOptions", "HostnameType", "ip-name", "EnableResourceNameDnsARecord", 0,
        "EnableResourceNameDnsAAAARecord", 0, "_eni", eni.id);
    json_object_update(inst.doc, doc);
    json_decref(doc);
    if (public_ip[0]) {
        json_object_set_new(inst.doc, "PublicIpAddress", json_string(public_ip));
        json_object_set_new(inst.doc, "_public", json_true()); /* a new one at every start */
    }
    if (dd_in_str(spec, "KeyName"))
        json_object_set_new(inst.doc, "KeyName", json_string(dd_in_str(spec, "KeyName")));
    if (l->profile_arn[0])
        json_object_set_new(inst.doc, "IamInstanceProfile",
                            json_pack("{s:s, s:s}", "Arn", l->profile_arn, "Id", l->profile_id));
    if (dd_in_str(spec, "UserData"))
        json_object_set_new(inst.doc, "_user_data", json_string(dd_in_str(spec, "UserData")));
    json_object_set_new(inst.doc, "StateReason", json_pack("{s:s, s:s}", "Code", "pending", "Message", "pending"));
    if (ec2_tag_specs(r, inst_tags, &inst))
        goto cleanup;
    json_array_extend(json_object_get(inst.doc, "Tags"), reserved);
    ec2_set(&inst.vpc_id, l->subnet.vpc_id);
    ec2_set(&inst.parent, l->subnet.id);
    ec2_set(&inst.ref, reservation);
    ec2_set(&inst.name, dd_in_str(spec, "ClientToken"));
    ec2_res_save(r, &inst);
    ec2_tags_sync(r, &inst);
    /* the interface names its instance, as AWS's attachment does */
    json_object_set_new(eni.doc, "Attachment",
                        json_pack("{s:s, s:i, s:s, s:s, s:b}", "InstanceId", inst.id, "DeviceIndex", 0, "Status",
                                  "attached", "InstanceOwnerId", r->account, "DeleteOnTermination", 1));
    json_object_set_new(eni.doc, "RequesterManaged", json_false()); /* the user's, though in use */
    ec2_res_save(r, &eni);
    json_array_append_new(ids, json_string(inst.id));
    rc = sim_schedule(r, sim_delay_ms(1000, 30000), "ec2.instance.running", inst.id, NULL);
cleanup:
    json_decref(inst_tags);
    json_decref(eni_tags);
    json_decref(reserved);
    ec2_res_free(&inst);
    ec2_res_free(&eni);
    return rc;
}

static int launch(struct dd_request *r, json_t *in, int count, bool internal, const char *reservation, json_t *ids)
{
    struct launch l;
    int rc = launch_prepare(r, in, &l);
    for (int i = 0; rc == 0 && i < count; i++)
        rc = launch_one(r, &l, reservation, i, internal, ids);
    launch_free(&l);
    return rc;
}

int ec2_instances_run(struct dd_request *r, json_t *in, int count, json_t *ids)
{
    char reservation[64];
    ec2_new_id("r-", reservation);
    if (ec2_ensure_defaults(r))
        return -1;
    return launch(r, in, count, true, reservation, ids);
}

/* The reservation of instances `ids` (new reference). */
static json_t *reservation_doc(struct dd_request *r, const char *reservation, json_t *instances)
{
    return json_pack("{s:s, s:s, s:[], s:O}", "ReservationId", reservation, "OwnerId", r->account, "Groups",
                     "Instances", instances);
}

static int first_instance(struct dd_request *r, struct ec2_res *res, void *ctx)
{
    snprintf(ctx, 64, "%s", res->ref ? res->ref : "");
    return 1;
}

static int collect_public(struct dd_request *r, struct ec2_res *res, void *ctx)
{
    json_array_append_new(ctx, ec2_res_public(r, res));
    return 0;
}

json_t *ec2_op_RunInstances(struct dd_request *r, json_t *in)
{
    json_int_t min = dd_in_int(in, "MinCount", 1), max = dd_in_int(in, "MaxCount", 1);
    const char *token = dd_in_str(in, "ClientToken");
    char reservation[64] = "";
    if (token && ec2_each(r, &ec2_kind_instance, "name", token, first_instance, reservation)) {
        /* the same call again: the same reservation */
        json_t *instances = json_array();
        ec2_each(r, &ec2_kind_instance, "ref", reservation, collect_public, instances);
        json_t *out = reservation_doc(r, reservation, instances);
        json_decref(instances);
        return out;
    }
    if (min < 1)
        return dd_fail(r, 400, "InvalidParameterValue",
                       "Value (%" JSON_INTEGER_FORMAT ") for parameter minCount is invalid. Expected a positive "
                       "integer.",
                       min);
    if (max < min)
        return dd_fail(r, 400, "InvalidParameterValue",
                       "Value (%" JSON_INTEGER_FORMAT ") for parameter maxCount is invalid. Expected a value "
                       "greater than or equal to minCount.",
                       max);
    if (max > 20)
        max = min > 20 ? min : 20; /* the account's vCPU quota would stop here: launch what fits */
    if (min > 20)
        return dd_fail(r, 400, "InstanceLimitExceeded",
                       "You have requested more instances (%" JSON_INTEGER_FORMAT ") than your current instance "
                       "limit of 20 allows for the specified instance type. Please visit "
                       "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.",
                       min);
    ec2_new_id("r-", reservation);
    json_t *ids = json_array();
    if (launch(r, in, (int)max, false, reservation, ids)) {
        json_decref(ids);
        return NULL;
    }
    json_decref(ids);
    json_t *instances = json_array();
    ec2_each(r, &ec2_kind_instance, "ref", reservation, collect_public, instances);
    json_t *out = reservation_doc(r, reservation, instances);
    json_decref(instances);
    return out;
}

/* ---- the lifecycle on the clock ----------------------------------------------------- */

static int to_next_minute(const struct dd_request *r)
{
    return (int)(MINUTE_MS - r->now_ms % MINUTE_MS);
}

int ec2_instance_running(struct dd_request *r, const char *id, json_t *payload)
{
    struct ec2_res inst;
    if (ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return 0;
    int rc = 0;
    if (strcmp(state_of(&inst), "pending") == 0) {
        set_state(&inst, "running");
        json_object_del(inst.doc, "StateReason");
        json_object_set_new(json_object_get(inst.doc, "MetadataOptions"), "State", json_string("applied"));
        ec2_res_save(r, &inst);
        sim_cancel(r, "ec2.instance.metrics", id);
        rc = sim_schedule(r, to_next_minute(r), "ec2.instance.metrics", id, NULL);
        if (rc == 0)
            rc = ecs_agent_instance_running(r, id);
    }
    ec2_res_free(&inst);
    return rc;
}

int ec2_instance_stopped(struct dd_request *r, const char *id, json_t *payload)
{
    struct ec2_res inst;
    if (ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return 0;
    if (strcmp(state_of(&inst), "stopping") == 0) {
        set_state(&inst, "stopped");
        ec2_res_save(r, &inst);
    }
    ec2_res_free(&inst);
    return 0;
}

/* Terminated: the interface goes (and with it what kept the subnet busy). */
int ec2_instance_terminated(struct dd_request *r, const char *id, json_t *payload)
{
    struct ec2_res inst;
    if (ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return 0;
    ec2_managed_eni_delete(r, dd_in_str(inst.doc, "_eni"));
    set_state(&inst, "terminated");
    json_object_set_new(inst.doc, "NetworkInterfaces", json_array());
    json_object_set_new(inst.doc, "SecurityGroups", json_array());
    json_object_set_new(inst.doc, "BlockDeviceMappings", json_array());
    json_object_del(inst.doc, "PrivateIpAddress");
    json_object_del(inst.doc, "PublicIpAddress");
    json_object_set_new(inst.doc, "PrivateDnsName", json_string(""));
    json_object_set_new(inst.doc, "PublicDnsName", json_string(""));
    json_object_set_new(inst.doc, "StateReason",
                        json_pack("{s:s, s:s}", "Code", "Client.UserInitiatedShutdown", "Message",
                                  "Client.UserInitiatedShutdown: User initiated shutdown"));
    ec2_set(&inst.vpc_id, NULL);
    ec2_set(&inst.parent, NULL);
    ec2_res_save(r, &inst);
    ec2_res_free(&inst);
    return sim_schedule(r, 3600 * 1000, "ec2.instance.purge", id, NULL);
}

int ec2_instance_purge(struct dd_request *r, const char *id, json_t *payload)
{
    ec2_res_delete(r, id);
    return 0;
}

/* Once a minute while running: AWS/EC2 CPUUtilization of the minute that ended. */
int ec2_instance_metrics(struct dd_request *r, const char *id, json_t *payload)
{
    struct ec2_res inst;
    if (ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return 0;
    if (strcmp(state_of(&inst), "running") != 0) {
        ec2_res_free(&inst);
        return 0; /* stopped or gone: its metrics stop */
    }
    double cpu = fmin(100.0, fmax(0.0, json_number_value(json_object_get(inst.doc, "_load"))));
    struct cw_stats s = {.sample_count = 1, .sum = cpu, .min = cpu, .max = cpu};
    json_t *dims = json_pack("[{s:s, s:s}]", "Name", "InstanceId", "Value", inst.id);
    int rc = cw_publish(r, "AWS/EC2", "CPUUtilization", dims, r->now_ms - MINUTE_MS, &s, "Percent");
    json_decref(dims);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(inst.doc, "Tags"), i, t)
    {
        if (rc == 0 && strcmp(dd_in_str(t, "Key"), "aws:autoscaling:groupName") == 0) {
            dims = json_pack("[{s:s, s:s}]", "Name", "AutoScalingGroupName", "Value", dd_in_str(t, "Value"));
            rc = cw_publish(r, "AWS/EC2", "CPUUtilization", dims, r->now_ms - MINUTE_MS, &s, "Percent");
            json_decref(dims);
        }
    }
    ec2_res_free(&inst);
    return rc ? rc : sim_schedule(r, MINUTE_MS, "ec2.instance.metrics", id, NULL);
}

/* ---- Stop, Start, Reboot, Terminate ------------------------------------------------------ */

/* One state change of many instances: `change` returns the new state, or NULL (r->err). */
typedef const char *(*change_fn)(struct dd_request *r, struct ec2_res *inst);

static json_t *change_all(struct dd_request *r, json_t *in, const char *member, change_fn change)
{
    json_t *ids = json_object_get(in, "InstanceIds"), *items = json_array();
    size_t i;
    json_t *id;
    /* every id must exist before anything changes */
    json_array_foreach(ids, i, id)
    {
        struct ec2_res inst;
        if (ec2_res_get_or_err(r, &ec2_kind_instance, json_string_value(id), &inst)) {
            json_decref(items);
            return NULL;
        }
        ec2_res_free(&inst);
    }
    json_array_foreach(ids, i, id)
    {
        struct ec2_res inst;
        ec2_res_load(r, &ec2_kind_instance, json_string_value(id), &inst);
        json_t *before = state_doc(state_of(&inst));
        const char *after = change(r, &inst);
        if (!after) {
            json_decref(before);
            ec2_res_free(&inst);
            json_decref(items);
            return NULL;
        }
        if (member)
            json_array_append_new(items, json_pack("{s:s, s:o, s:o}", "InstanceId", inst.id, "PreviousState", before,
                                                   "CurrentState", state_doc(after)));
        else
            json_decref(before);
        ec2_res_free(&inst);
    }
    if (!member) {
        json_decref(items);
        return json_object();
    }
    return json_pack("{s:o}", member, items);
}

static const char *stop_one(struct dd_request *r, struct ec2_res *inst)
{
    const char *s = state_of(inst);
    if (strcmp(s, "stopped") == 0 || strcmp(s, "stopping") == 0)
        return s;
    if (strcmp(s, "pending") != 0 && strcmp(s, "running") != 0) {
        dd_fail(r, 400, "IncorrectInstanceState", "The instance '%s' is not in a state from which it can be stopped.",
                inst->id);
        return NULL;
    }
    sim_cancel(r, "ec2.instance.running", inst->id);
    set_state(inst, "stopping");
    user_initiated(r, inst);
    set_public_address(r, inst, false);
    ec2_res_save(r, inst);
    if (ecs_agent_instance_stopped(r, inst->id, false) ||
        sim_schedule(r, sim_delay_ms(500, 30000), "ec2.instance.stopped", inst->id, NULL))
        return NULL;
    return "stopping";
}

static const char *start_one(struct dd_request *r, struct ec2_res *inst)
{
    const char *s = state_of(inst);
    if (strcmp(s, "running") == 0 || strcmp(s, "pending") == 0)
        return s;
    if (strcmp(s, "stopped") != 0) {
        dd_fail(r, 400, "IncorrectInstanceState", "The instance '%s' is not in a state from which it can be started.",
                inst->id);
        return NULL;
    }
    set_state(inst, "pending");
    if (dd_in_bool(inst->doc, "_public"))
        set_public_address(r, inst, true);
    json_object_set_new(inst->doc, "StateTransitionReason", json_string(""));
    json_object_del(inst->doc, "StateReason");
    ec2_res_save(r, inst);
    return sim_schedule(r, sim_delay_ms(1000, 30000), "ec2.instance.running", inst->id, NULL) ? NULL : "pending";
}

static const char *reboot_one(struct dd_request *r, struct ec2_res *inst)
{
    const char *s = state_of(inst);
    if (strcmp(s, "terminated") == 0 || strcmp(s, "shutting-down") == 0) {
        dd_fail(r, 400, "IncorrectInstanceState", "The instance '%s' is not in a state from which it can be rebooted.",
                inst->id);
        return NULL;
    }
    return s;
}

static const char *terminate_one(struct dd_request *r, struct ec2_res *inst)
{
    const char *s = state_of(inst);
    if (strcmp(s, "terminated") == 0 || strcmp(s, "shutting-down") == 0)
        return s;
    sim_cancel(r, "ec2.instance.running", inst->id);
    sim_cancel(r, "ec2.instance.stopped", inst->id);
    set_state(inst, "shutting-down");
    user_initiated(r, inst);
    ec2_res_save(r, inst);
    if (ecs_agent_instance_stopped(r, inst->id, true) ||
        sim_schedule(r, sim_delay_ms(500, 30000), "ec2.instance.terminated", inst->id, NULL))
        return NULL;
    return "shutting-down";
}

json_t *ec2_op_StopInstances(struct dd_request *r, json_t *in)
{
    return change_all(r, in, "StoppingInstances", stop_one);
}

json_t *ec2_op_StartInstances(struct dd_request *r, json_t *in)
{
    return change_all(r, in, "StartingInstances", start_one);
}

json_t *ec2_op_RebootInstances(struct dd_request *r, json_t *in)
{
    return change_all(r, in, NULL, reboot_one);
}

json_t *ec2_op_TerminateInstances(struct dd_request *r, json_t *in)
{
    return change_all(r, in, "TerminatingInstances", terminate_one);
}

/* ---- DescribeInstances, DescribeInstanceStatus --------------------------------------------- */

json_t *ec2_op_DescribeInstances(struct dd_request *r, json_t *in)
{
    json_t *ids = json_object_get(in, "InstanceIds");
    if (json_array_size(ids) && json_object_get(in, "MaxResults"))
        return dd_fail(r, 400, "InvalidParameterCombination",
                       "The parameter instancesSet cannot be used with the parameter maxResults");
    json_int_t max = dd_in_int(in, "MaxResults", 0);
    if (json_object_get(in, "MaxResults") && (max < 5 || max > 1000))
        return dd_fail(r, 400, "InvalidParameterValue",
                       "Value ( %" JSON_INTEGER_FORMAT " ) for parameter maxResults is invalid. Expecting a value "
                       "between 5 and 1000.",
                       max);
    json_t *found = ec2_describe(r, in, &ec2_kind_instance, ids);
    if (!found)
        return NULL;
    /* group by reservation, in the order instances were found */
    json_t *reservations = json_array(), *by_id = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(found, "Instances"), i, item)
    {
        struct ec2_res inst;
        if (ec2_res_load(r, &ec2_kind_instance, dd_in_str(item, "InstanceId"), &inst))
            continue;
        json_t *res = json_object_get(by_id, inst.ref);
        if (!res) {
            json_t *none = json_array();
            res = reservation_doc(r, inst.ref, none);
            json_decref(none);
            json_object_set_new(by_id, inst.ref, res);
            json_array_append(reservations, res);
        }
        json_array_append(json_object_get(res, "Instances"), item);
        ec2_res_free(&inst);
    }
    json_decref(by_id);
    json_t *out = json_pack("{s:o}", "Reservations", reservations);
    if (json_object_get(found, "NextToken"))
        json_object_set(out, "NextToken", json_object_get(found, "NextToken"));
    json_decref(found);
    return out;
}

static const struct ec2_filter_def status_filters[] = {
    {"availability-zone", "AvailabilityZone"},
    {"instance-state-name", "InstanceState.Name"},
    {"instance-state-code", "InstanceState.Code"},
    {"instance-status.status", "InstanceStatus.Status"},
    {"system-status.status", "SystemStatus.Status"},
    {NULL, NULL},
};

static json_t *status_doc(struct ec2_res *inst)
{
    bool running = strcmp(state_of(inst), "running") == 0;
    const char *st = running ? "ok" : "not-applicable";
    return json_pack("{s:s, s:s, s:O, s:{s:s, s:[{s:s, s:s}]}, s:{s:s, s:[{s:s, s:s}]}}", "InstanceId", inst->id,
                     "AvailabilityZone", dd_in_str(json_object_get(inst->doc, "Placement"), "AvailabilityZone"),
                     "InstanceState", json_object_get(inst->doc, "State"), "InstanceStatus", "Status", st, "Details",
                     "Name", "reachability", "Status", running ? "passed" : "not-applicable", "SystemStatus",
                     "Status", st, "Details", "Name", "reachability", "Status", running ? "passed" : "not-applicable");
}

/* What DescribeInstanceStatus collects. */
struct status_scan {
    json_t *filters; /* borrowed */
    bool all;        /* IncludeAllInstances: not only running ones */
    json_t *items;
};

static void collect_status(struct ec2_res *inst, struct status_scan *s)
{
    json_t *doc = status_doc(inst);
    if ((s->all || strcmp(state_of(inst), "running") == 0) && ec2_filters_match(status_filters, s->filters, doc, NULL))
        json_array_append(s->items, doc);
    json_decref(doc);
}

json_t *ec2_op_DescribeInstanceStatus(struct dd_request *r, json_t *in)
{
    struct status_scan scan = {json_object_get(in, "Filters"), dd_in_bool(in, "IncludeAllInstances"), NULL};
    json_t *ids = json_object_get(in, "InstanceIds");
    if (ec2_filters_check(r, status_filters, scan.filters))
        return NULL;
    scan.items = json_array();
    size_t i;
    json_t *id;
    if (json_array_size(ids)) {
        json_array_foreach(ids, i, id)
        {
            struct ec2_res inst;
            if (ec2_res_get_or_err(r, &ec2_kind_instance, json_string_value(id), &inst)) {
                json_decref(scan.items);
                return NULL;
            }
            collect_status(&inst, &scan);
            ec2_res_free(&inst);
        }
    } else {
        json_t *none = json_object(), *all = ec2_describe(r, none, &ec2_kind_instance, NULL);
        json_decref(none);
        json_array_foreach(json_object_get(all, "Instances"), i, id)
        {
            struct ec2_res inst;
            if (ec2_res_load(r, &ec2_kind_instance, dd_in_str(id, "InstanceId"), &inst) == 0) {
                collect_status(&inst, &scan);
                ec2_res_free(&inst);
            }
        }
        json_decref(all);
    }
    return json_pack("{s:o}", "InstanceStatuses", scan.items);
}

/* ---- attributes ------------------------------------------------------------------------ */

json_t *ec2_op_DescribeInstanceAttribute(struct dd_request *r, json_t *in)
{
    struct ec2_res inst;
    const char *attr = dd_in_str(in, "Attribute");
    if (ec2_res_get_or_err(r, &ec2_kind_instance, dd_in_str(in, "InstanceId"), &inst))
        return NULL;
    json_t *out = json_pack("{s:s}", "InstanceId", inst.id);
    if (strcmp(attr, "instanceType") == 0) {
        json_object_set_new(out, "InstanceType", json_pack("{s:s}", "Value", dd_in_str(inst.doc, "InstanceType")));
    } else if (strcmp(attr, "userData") == 0) {
        const char *ud = dd_in_str(inst.doc, "_user_data");
        json_object_set_new(out, "UserData", ud ? json_pack("{s:s}", "Value", ud) : json_object());
    } else if (strcmp(attr, "groupSet") == 0) {
        json_object_set(out, "Groups", json_object_get(inst.doc, "SecurityGroups"));
    } else if (strcmp(attr, "rootDeviceName") == 0) {
        json_object_set_new(out, "RootDeviceName", json_pack("{s:s}", "Value", dd_in_str(inst.doc, "RootDeviceName")));
    } else {
        json_decref(out);
        out = dd_fail(r, 400, "InvalidParameterValue", "Value (%s) for parameter attribute is invalid.", attr);
    }
    ec2_res_free(&inst);
    return out;
}

/* The instance must be stopped for this change. */
static int stopped_or_err(struct dd_request *r, struct ec2_res *inst)
{
    if (strcmp(state_of(inst), "stopped") == 0)
        return 0;
    return dd_reject(r, 400, "IncorrectInstanceState", "The instance '%s' is not in the 'stopped' state.", inst->id);
}

static int modify_groups(struct dd_request *r, struct ec2_res *inst, json_t *groups)
{
    size_t i;
    json_t *id, *docs = json_array();
    json_array_foreach(groups, i, id)
    {
        struct ec2_res sg;
        if (ec2_res_get_or_err(r, &ec2_kind_sg, json_string_value(id), &sg)) {
            json_decref(docs);
            return -1;
        }
        bool same = sg.vpc_id && inst->vpc_id && strcmp(sg.vpc_id, inst->vpc_id) == 0;
        json_array_append_new(docs, json_pack("{s:s, s:s}", "GroupId", sg.id, "GroupName",
                                              dd_in_str(sg.doc, "GroupName")));
        ec2_res_free(&sg);
        if (!same) {
            json_decref(docs);
            return dd_reject(r, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist in VPC '%s'",
                             json_string_value(id), inst->vpc_id ? inst->vpc_id : "");
        }
    }
    ec2_eni_set_groups(r, dd_in_str(inst->doc, "_eni"), groups);
    json_object_set(inst->doc, "SecurityGroups", docs);
    json_object_set(json_array_get(json_object_get(inst->doc, "NetworkInterfaces"), 0), "Groups", docs);
    json_decref(docs);
    return 0;
}

json_t *ec2_op_ModifyInstanceAttribute(struct dd_request *r, json_t *in)
{
    struct ec2_res inst;
    if (ec2_res_get_or_err(r, &ec2_kind_instance, dd_in_str(in, "InstanceId"), &inst))
        return NULL;
    const char *attr = dd_in_str(in, "Attribute"), *value = dd_in_str(in, "Value");
    const char *type = dd_in_str(json_object_get(in, "InstanceType"), "Value");
    const char *ud = dd_in_str(json_object_get(in, "UserData"), "Value");
    json_t *groups = json_object_get(in, "Groups");
    if (attr && value && strcmp(attr, "instanceType") == 0)
        type = value;
    if (attr && value && strcmp(attr, "userData") == 0)
        ud = value;
    int rc = 0;
    if (type) {
        json_t *t = ec2_instance_type(type);
        if ((rc = stopped_or_err(r, &inst)) == 0 && !t)
            rc = dd_reject(r, 400, "InvalidInstanceAttributeValue", "Value (%s) for parameter instanceType is invalid.",
                           type);
        else if (rc == 0 && strcmp(dd_in_str(t, "arch"), dd_in_str(inst.doc, "Architecture")) != 0)
            rc = dd_reject(r, 400, "InvalidParameterValue",
                           "'%s' is not a valid instance type for instance '%s' of architecture '%s'.", type, inst.id,
                           dd_in_str(inst.doc, "Architecture"));
        if (rc == 0)
            json_object_set_new(inst.doc, "InstanceType", json_string(type));
    } else if (ud) {
        if ((rc = stopped_or_err(r, &inst)) == 0 && (rc = user_data_or_err(r, ud)) == 0)
            json_object_set_new(inst.doc, "_user_data", json_string(ud));
    } else if (json_array_size(groups)) {
        rc = modify_groups(r, &inst, groups);
    }
    if (rc == 0)
        ec2_res_save(r, &inst);
    ec2_res_free(&inst);
    return rc ? NULL : json_object();
}

/* ---- DescribeInstanceTypes, DescribeImages ----------------------------------------------- */

static const struct ec2_filter_def type_filters[] = {
    {"instance-type", "InstanceType"},
    {"processor-info.supported-architecture", "ProcessorInfo.SupportedArchitectures"},
    {"vcpu-info.default-vcpus", "VCpuInfo.DefaultVCpus"},
    {"memory-info.size-in-mib", "MemoryInfo.SizeInMiB"},
    {"burstable-performance-supported", "BurstablePerformanceSupported"},
    {"current-generation", "CurrentGeneration"},
    {"free-tier-eligible", "FreeTierEligible"},
    {NULL, NULL},
};

static json_t *type_doc(json_t *t)
{
    int vcpus = (int)dd_in_int(t, "vcpus", 2);
    return json_pack("{s:s, s:b, s:b, s:[s, s], s:[s], s:[s], s:b, s:s, s:{s:[s]}, s:{s:i, s:i, s:i},"
                     " s:{s:I}, s:b, s:{s:s, s:s}, s:{s:s, s:i, s:i, s:i, s:s, s:s}, s:b, s:b, s:b, s:b}",
                     "InstanceType", dd_in_str(t, "name"), "CurrentGeneration", 1, "FreeTierEligible",
                     dd_in_bool(t, "free_tier"), "SupportedUsageClasses", "on-demand", "spot",
                     "SupportedRootDeviceTypes", "ebs", "SupportedVirtualizationTypes", "hvm", "BareMetal", 0,
                     "Hypervisor", "nitro", "ProcessorInfo", "SupportedArchitectures", dd_in_str(t, "arch"),
                     "VCpuInfo", "DefaultVCpus", vcpus, "DefaultCores", vcpus / 2 ? vcpus / 2 : 1,
                     "DefaultThreadsPerCore", vcpus > 1 ? 2 : 1, "MemoryInfo", "SizeInMiB",
                     dd_in_int(t, "memory_mib", 0), "InstanceStorageSupported", 0, "EbsInfo",
                     "EbsOptimizedSupport", "default", "EncryptionSupport", "supported", "NetworkInfo",
                     "NetworkPerformance", dd_in_str(t, "network"), "MaximumNetworkInterfaces",
                     (int)dd_in_int(t, "max_enis", 2), "Ipv4AddressesPerInterface",
                     (int)dd_in_int(t, "ips_per_eni", 2), "Ipv6AddressesPerInterface",
                     (int)dd_in_int(t, "ips_per_eni", 2), "Ipv6Supported", "true", "EnaSupport", "required",
                     "HibernationSupported", 0, "BurstablePerformanceSupported", dd_in_bool(t, "burstable"),
                     "DedicatedHostsSupported", 0, "AutoRecoverySupported", 1);
}

json_t *ec2_op_DescribeInstanceTypes(struct dd_request *r, json_t *in)
{
    json_t *filters = json_object_get(in, "Filters"), *names = json_object_get(in, "InstanceTypes");
    struct ec2_page page;
    if (ec2_filters_check(r, type_filters, filters))
        return NULL;
    size_t i;
    json_t *n, *t;
    json_t *unknown = json_array();
    json_array_foreach(names, i, n) if (!ec2_instance_type(json_string_value(n))) json_array_append(unknown, n);
    if (json_array_size(unknown)) {
        char *list = json_dumps(unknown, JSON_COMPACT);
        for (char *c = list; *c; c++)
            if (*c == '"')
                memmove(c, c + 1, strlen(c)), c--;
        dd_fail(r, 400, "InvalidInstanceType", "The following supplied instance types do not exist: %s", list);
        free(list);
        json_decref(unknown);
        return NULL;
    }
    json_decref(unknown);
    if (ec2_page_start(r, in, &page))
        return NULL;
    json_array_foreach(g_types, i, t)
    {
        if ((int64_t)i + 1 <= page.after || page.more)
            continue;
        bool listed = !json_array_size(names);
        size_t j;
        json_array_foreach(names, j, n) listed = listed || strcmp(json_string_value(n), dd_in_str(t, "name")) == 0;
        json_t *doc = type_doc(t);
        if (listed && ec2_filters_match(type_filters, filters, doc, NULL))
            ec2_page_add(&page, (int64_t)i + 1, doc);
        else
            json_decref(doc);
    }
    return ec2_page_result(&page, "InstanceTypes");
}

static const struct ec2_filter_def image_filters[] = {
    {"architecture", "Architecture"},
    {"description", "Description"},
    {"image-id", "ImageId"},
    {"image-type", "ImageType"},
    {"is-public", "Public"},
    {"name", "Name"},
    {"owner-alias", "ImageOwnerAlias"},
    {"owner-id", "OwnerId"},
    {"platform-details", "PlatformDetails"},
    {"root-device-type", "RootDeviceType"},
    {"state", "State"},
    {"virtualization-type", "VirtualizationType"},
    {NULL, NULL},
};

/* Whether the image belongs to one of `owners` ("amazon", "self", an account id). */
static bool owned_by(struct dd_request *r, json_t *img, json_t *owners)
{
    if (!json_array_size(owners))
        return true;
    size_t i;
    json_t *o;
    json_array_foreach(owners, i, o)
    {
        const char *s = json_string_value(o), *alias = dd_in_str(img, "ImageOwnerAlias");
        if (strcmp(s, "self") == 0 ? strcmp(r->account, dd_in_str(img, "OwnerId")) == 0
                                   : strcmp(s, dd_in_str(img, "OwnerId")) == 0 || (alias && strcmp(s, alias) == 0))
            return true;
    }
    return false;
}

json_t *ec2_op_DescribeImages(struct dd_request *r, json_t *in)
{
    json_t *filters = json_object_get(in, "Filters"), *ids = json_object_get(in, "ImageIds"),
           *owners = json_object_get(in, "Owners");
    if (ec2_filters_check(r, image_filters, filters))
        return NULL;
    pthread_once(&g_fixtures_once, fixtures_load);
    size_t i;
    json_t *id, *img;
    json_array_foreach(ids, i, id)
    {
        const char *s = json_string_value(id);
        if (!ec2_id_wellformed(s, "ami-"))
            return dd_fail(r, 400, "InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting \"ami-...\")", s);
        if (!ec2_image(s))
            return dd_fail(r, 400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", s);
    }
    json_t *items = json_array();
    json_array_foreach(g_images, i, img)
    {
        bool listed = !json_array_size(ids);
        size_t j;
        json_array_foreach(ids, j, id) listed = listed || strcmp(json_string_value(id), dd_in_str(img, "ImageId")) == 0;
        if (listed && owned_by(r, img, owners) && ec2_filters_match(image_filters, filters, img, NULL))
            json_array_append(items, img);
    }
    return json_pack("{s:o}", "Images", items);
}

/* ---- the admin action: simulated load ----------------------------------------------------- */

json_t *ec2_admin_load(struct dd_request *r, json_t *params)
{
    struct ec2_res inst;
    const char *id = dd_in_str(params, "instance_id");
    json_t *cpu = json_object_get(params, "cpu");
    if (!id || !json_is_number(cpu))
        return dd_fail(r, 400, "InvalidParameterValue", "instance_id and cpu are required");
    if (ec2_res_get_or_err(r, &ec2_kind_instance, id, &inst)) {
        r->err.http_status = 404;
        return NULL;
    }
    json_object_set_new(inst.doc, "_load", json_real(json_number_value(cpu)));
    ec2_res_save(r, &inst);
    ec2_res_free(&inst);
    return json_pack("{s:s, s:f}", "instance_id", id, "cpu", json_number_value(cpu));
}

/* ---- the interface for other services (ec2.h) ---------------------------------------------- */

void ec2_instance_terminate(struct dd_request *r, const char *id)
{
    struct ec2_res inst;
    if (!id || ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return;
    terminate_one(r, &inst);
    ec2_res_free(&inst);
}

int ec2_instance_get(struct dd_request *r, const char *id, struct ec2_instance_info *out)
{
    struct ec2_res inst;
    memset(out, 0, sizeof *out);
    if (!id || ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return 1;
    json_t *d = inst.doc, *t = ec2_instance_type(dd_in_str(d, "InstanceType"));
    snprintf(out->id, sizeof out->id, "%.31s", inst.id);
    snprintf(out->state, sizeof out->state, "%s", state_of(&inst));
    snprintf(out->type, sizeof out->type, "%s", dd_in_str(d, "InstanceType"));
    snprintf(out->image_id, sizeof out->image_id, "%s", dd_in_str(d, "ImageId"));
    snprintf(out->subnet_id, sizeof out->subnet_id, "%s", dd_in_str(d, "SubnetId"));
    snprintf(out->vpc_id, sizeof out->vpc_id, "%s", dd_in_str(d, "VpcId"));
    snprintf(out->zone, sizeof out->zone, "%s", dd_in_str(json_object_get(d, "Placement"), "AvailabilityZone"));
    const char *ip = dd_in_str(d, "PrivateIpAddress");
    const char *arn = dd_in_str(json_object_get(d, "IamInstanceProfile"), "Arn");
    snprintf(out->private_ip, sizeof out->private_ip, "%s", ip ? ip : "");
    snprintf(out->profile_arn, sizeof out->profile_arn, "%s", arn ? arn : "");
    out->vcpus = (int)dd_in_int(t, "vcpus", 0);
    out->memory_mib = (int)dd_in_int(t, "memory_mib", 0);
    json_t *lt = json_object_get(d, "LaunchTime");
    out->launch_ms = (int64_t)(json_number_value(lt) * 1000.0);
    ec2_res_free(&inst);
    return 0;
}

char *ec2_instance_user_data(struct dd_request *r, const char *id)
{
    struct ec2_res inst;
    if (!id || ec2_res_load(r, &ec2_kind_instance, id, &inst))
        return NULL;
    const char *b64 = dd_in_str(inst.doc, "_user_data");
    unsigned char *raw = NULL;
    long n = b64 ? crypto_base64_decode(b64, strlen(b64), &raw) : -1;
    char *out = NULL;
    if (n >= 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, raw, (size_t)n);
        out[n] = '\0';
    }
    free(raw);
    ec2_res_free(&inst);
    return out;
}

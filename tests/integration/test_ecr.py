"""ECR: repositories, layer uploads and images, policies, lifecycle policies, and ECS pulling from drydock ECR.

Runs on a manual clock (nothing sleeps: the clock is advanced through the admin API). A few
calls go through the real AWS CLI v2, the rest through boto3. Digests are real sha256 digests
of the bytes uploaded and of the manifest text.
"""
import base64
import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ACCOUNT = "000000000000"
REGION = harness.REGION
REGISTRY = "%s.dkr.ecr.%s.amazonaws.com" % (ACCOUNT, REGION)
DAY = 86400
MT_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
EXEC_ROLE = "arn:aws:iam::%s:role/ecsTaskExecutionRole" % ACCOUNT
REPO_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def rule(priority, status, count_type, number, **sel):
    s = {"tagStatus": status, "countType": count_type, "countNumber": number}
    if count_type == "sinceImagePushed":
        s["countUnit"] = "days"
    s.update(sel)
    return {"rulePriority": priority, "description": "rule %d" % priority, "selection": s,
            "action": {"type": "expire"}}


def policy(*rules):
    return json.dumps({"rules": list(rules)})


class EcrTest(harness.ManualClockTest):
    def setUp(self):
        super().setUp()
        self.ecr = self.client("ecr")

    def now(self):
        return self.emulator.admin("GET", "/_drydock/clock")["now_ms"] / 1000.0

    # ---- pushing, as docker does it through the API ------------------------------------------------

    def push_blob(self, repo, data, parts=None):
        up = self.ecr.initiate_layer_upload(repositoryName=repo)
        first = 0
        for part in parts or [data]:
            out = self.ecr.upload_layer_part(repositoryName=repo, uploadId=up["uploadId"], partFirstByte=first,
                                             partLastByte=first + len(part) - 1, layerPartBlob=part)
            first += len(part)
            self.assertEqual(out["lastByteReceived"], first - 1)
        done = self.ecr.complete_layer_upload(repositoryName=repo, uploadId=up["uploadId"], layerDigests=[sha(data)])
        self.assertEqual(done["layerDigest"], sha(data))
        return done["layerDigest"]

    def manifest(self, repo, seed, layers=2, upload=True):
        config = json.dumps({"architecture": "amd64", "os": "linux", "seed": seed}).encode()
        blobs = [("layer %s %d " % (seed, i)).encode() * (i + 1) for i in range(layers)]
        if upload:
            for b in [config] + blobs:
                if not self.ecr.batch_check_layer_availability(repositoryName=repo,
                                                               layerDigests=[sha(b)])["layers"]:
                    self.push_blob(repo, b)
        return json.dumps({
            "schemaVersion": 2, "mediaType": MT_V2,
            "config": {"mediaType": MT_CONFIG, "size": len(config), "digest": sha(config)},
            "layers": [{"mediaType": MT_LAYER, "size": len(b), "digest": sha(b)} for b in blobs]},
            indent=3), sum(len(b) for b in blobs)

    def push(self, repo, seed, tag=None):
        text, _ = self.manifest(repo, seed)
        args = dict(repositoryName=repo, imageManifest=text)
        if tag:
            args["imageTag"] = tag
        return self.ecr.put_image(**args)["image"]["imageId"]["imageDigest"]

    def tags_of(self, repo):
        return {d["imageDigest"]: sorted(d.get("imageTags", []))
                for d in self.ecr.describe_images(repositoryName=repo)["imageDetails"]}

    # ---- repositories -------------------------------------------------------------------------------

    def test_repositories_cli(self):
        out = self.aws("ecr", "create-repository", "--repository-name", "team/web", "--image-tag-mutability",
                       "IMMUTABLE", "--image-scanning-configuration", "scanOnPush=true",
                       "--tags", "Key=team,Value=web")["repository"]
        self.assertEqual(out["repositoryArn"], "arn:aws:ecr:%s:%s:repository/team/web" % (REGION, ACCOUNT))
        self.assertEqual(out["repositoryUri"], REGISTRY + "/team/web")
        self.assertEqual(out["registryId"], ACCOUNT)
        self.assertEqual(out["imageTagMutability"], "IMMUTABLE")
        self.assertEqual(out["imageScanningConfiguration"], {"scanOnPush": True})
        self.assertEqual(out["encryptionConfiguration"], {"encryptionType": "AES256"})
        with self.assertAwsError("RepositoryAlreadyExistsException", message=(
                "The repository with name 'team/web' already exists in the registry with id '%s'" % ACCOUNT)):
            self.aws("ecr", "create-repository", "--repository-name", "team/web")
        for bad in ("Web", "web/", "a--b/", "-web", "web..x"):
            with self.assertAwsError("InvalidParameterException", message="must satisfy regular expression"):
                self.ecr.create_repository(repositoryName=bad)
        for ok in ("a.b_c-d", "x/y/z", "a_c"):
            self.ecr.create_repository(repositoryName=ok)

        kms = self.ecr.create_repository(repositoryName="secure", encryptionConfiguration={
            "encryptionType": "KMS"})["repository"]["encryptionConfiguration"]
        self.assertEqual(kms["encryptionType"], "KMS")
        self.assertTrue(kms["kmsKey"].startswith("arn:aws:kms:%s:%s:" % (REGION, ACCOUNT)))
        with self.assertAwsError("InvalidParameterException"):
            self.ecr.create_repository(repositoryName="bad-enc", encryptionConfiguration={
                "encryptionType": "AES256", "kmsKey": "alias/mine"})

        d = self.aws("ecr", "describe-repositories", "--repository-names", "team/web")["repositories"]
        self.assertEqual([r["repositoryName"] for r in d], ["team/web"])
        with self.assertAwsError("RepositoryNotFoundException", message=(
                "The repository with name 'ghost' does not exist in the registry with id '%s'" % ACCOUNT)):
            self.aws("ecr", "describe-repositories", "--repository-names", "team/web", "ghost")

        # pagination: pages of 2 over all repositories
        names, token = [], None
        while True:
            page = self.ecr.describe_repositories(maxResults=2, **({"nextToken": token} if token else {}))
            self.assertLessEqual(len(page["repositories"]), 2)
            names += [r["repositoryName"] for r in page["repositories"]]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual(sorted(names), sorted(["team/web", "a.b_c-d", "x/y/z", "a_c", "secure"]))
        everything = self.aws("ecr", "describe-repositories")["repositories"]
        self.assertEqual(len(everything), 5)

        m = self.aws("ecr", "put-image-tag-mutability", "--repository-name", "team/web", "--image-tag-mutability",
                     "MUTABLE")
        self.assertEqual(m, {"registryId": ACCOUNT, "repositoryName": "team/web", "imageTagMutability": "MUTABLE"})
        s = self.ecr.put_image_scanning_configuration(repositoryName="team/web",
                                                      imageScanningConfiguration={"scanOnPush": False})
        self.assertEqual(s["imageScanningConfiguration"], {"scanOnPush": False})
        r = self.ecr.describe_repositories(repositoryNames=["team/web"])["repositories"][0]
        self.assertEqual((r["imageTagMutability"], r["imageScanningConfiguration"]["scanOnPush"]), ("MUTABLE", False))
        with self.assertAwsError("RepositoryNotFoundException"):
            self.ecr.put_image_tag_mutability(repositoryName="ghost", imageTagMutability="MUTABLE")

        gone = self.aws("ecr", "delete-repository", "--repository-name", "team/web")["repository"]
        self.assertEqual(gone["repositoryName"], "team/web")
        with self.assertAwsError("RepositoryNotFoundException"):
            self.ecr.delete_repository(repositoryName="team/web")

    def test_delete_repository_with_images(self):
        self.ecr.create_repository(repositoryName="app")
        self.push("app", "one", tag="v1")
        with self.assertAwsError("RepositoryNotEmptyException", message=(
                "The repository with name 'app' in registry with id '%s' cannot be deleted because it still "
                "contains images" % ACCOUNT)):
            self.ecr.delete_repository(repositoryName="app")
        self.ecr.delete_repository(repositoryName="app", force=True)
        # a new repository of that name starts empty: no images, no layers
        self.ecr.create_repository(repositoryName="app")
        self.assertEqual(self.ecr.list_images(repositoryName="app")["imageIds"], [])
        text, _ = self.manifest("app", "one", upload=False)
        with self.assertAwsError("LayersNotFoundException"):
            self.ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v1")

    def test_tags(self):
        arn = self.ecr.create_repository(repositoryName="app", tags=[{"Key": "a", "Value": "1"}])[
            "repository"]["repositoryArn"]
        self.aws("ecr", "tag-resource", "--resource-arn", arn, "--tags", "Key=b,Value=2", "Key=a,Value=3")
        tags = self.aws("ecr", "list-tags-for-resource", "--resource-arn", arn)["tags"]
        self.assertEqual(tags, [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}])
        self.ecr.untag_resource(resourceArn=arn, tagKeys=["a", "nope"])
        self.assertEqual(self.ecr.list_tags_for_resource(resourceArn=arn)["tags"], [{"Key": "b", "Value": "2"}])
        with self.assertAwsError("TooManyTagsException"):
            self.ecr.tag_resource(resourceArn=arn, tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
        with self.assertAwsError("InvalidTagParameterException"):
            self.ecr.tag_resource(resourceArn=arn, tags=[{"Key": "aws:reserved", "Value": "v"}])
        with self.assertAwsError("InvalidParameterException"):
            self.ecr.list_tags_for_resource(resourceArn="arn:aws:ecs:us-east-1:%s:cluster/x" % ACCOUNT)
        with self.assertAwsError("RepositoryNotFoundException"):
            self.ecr.list_tags_for_resource(resourceArn=arn.replace("/app", "/ghost"))

    def test_repository_policy(self):
        self.ecr.create_repository(repositoryName="app")
        msg = ("Repository policy does not exist for the repository with name 'app' in the registry with id '%s'"
               % ACCOUNT)
        with self.assertAwsError("RepositoryPolicyNotFoundException", message=msg):
            self.aws("ecr", "get-repository-policy", "--repository-name", "app")
        for bad in ("not json", "{}", json.dumps({"Statement": [{"Effect": "Maybe", "Action": "ecr:*"}]})):
            with self.assertAwsError("InvalidParameterException"):
                self.ecr.set_repository_policy(repositoryName="app", policyText=bad)
        out = self.aws("ecr", "set-repository-policy", "--repository-name", "app", "--policy-text", REPO_POLICY)
        self.assertEqual(json.loads(out["policyText"]), json.loads(REPO_POLICY))
        got = self.ecr.get_repository_policy(repositoryName="app")
        self.assertEqual((got["registryId"], got["repositoryName"]), (ACCOUNT, "app"))
        self.assertEqual(json.loads(got["policyText"]), json.loads(REPO_POLICY))
        deleted = self.ecr.delete_repository_policy(repositoryName="app")
        self.assertEqual(json.loads(deleted["policyText"]), json.loads(REPO_POLICY))
        with self.assertAwsError("RepositoryPolicyNotFoundException", message=msg):
            self.ecr.delete_repository_policy(repositoryName="app")
        with self.assertAwsError("RepositoryNotFoundException"):
            self.ecr.set_repository_policy(repositoryName="ghost", policyText=REPO_POLICY)

    def test_authorization_token_and_registry(self):
        now = self.now()
        data = self.aws("ecr", "get-authorization-token")["authorizationData"]
        self.assertEqual(len(data), 1)
        user, _, password = base64.b64decode(data[0]["authorizationToken"]).decode().partition(":")
        self.assertEqual(user, "AWS")
        self.assertTrue(password)
        self.assertEqual(data[0]["proxyEndpoint"], "https://" + REGISTRY)
        expires = self.ecr.get_authorization_token()["authorizationData"][0]["expiresAt"].timestamp()
        self.assertAlmostEqual(expires, now + 12 * 3600, delta=1)
        reg = self.ecr.describe_registry()
        self.assertEqual((reg["registryId"], reg["replicationConfiguration"]["rules"]), (ACCOUNT, []))
        with self.assertAwsError("RegistryPolicyNotFoundException"):
            self.ecr.get_registry_policy()

    # ---- layers and images ------------------------------------------------------------------------

    def test_push_round_trip(self):
        self.ecr.create_repository(repositoryName="app")
        self.advance(5)
        text, size = self.manifest("app", "one", layers=3)
        layers = [l["digest"] for l in json.loads(text)["layers"]]
        avail = self.ecr.batch_check_layer_availability(repositoryName="app", layerDigests=layers + [
            sha(b"never uploaded"), "not-a-digest"])
        self.assertEqual([l["layerDigest"] for l in avail["layers"]], layers)
        self.assertEqual({l["layerAvailability"] for l in avail["layers"]}, {"AVAILABLE"})
        self.assertEqual(avail["layers"][0]["layerSize"], json.loads(text)["layers"][0]["size"])
        self.assertEqual([(f["layerDigest"], f["failureCode"]) for f in avail["failures"]],
                         [(sha(b"never uploaded"), "MissingLayerDigest"), ("not-a-digest", "InvalidLayerDigest")])
        url = self.ecr.get_download_url_for_layer(repositoryName="app", layerDigest=layers[0])
        self.assertEqual(url["layerDigest"], layers[0])
        self.assertTrue(url["downloadUrl"].startswith("https://"))
        with self.assertAwsError("LayersNotFoundException"):
            self.ecr.get_download_url_for_layer(repositoryName="app", layerDigest=sha(b"nothing"))

        pushed_at = self.now()
        image = self.aws("ecr", "put-image", "--repository-name", "app", "--image-tag", "v1",
                         "--image-manifest", text)["image"]
        digest = sha(text.encode())
        self.assertEqual(image["imageId"], {"imageDigest": digest, "imageTag": "v1"})
        self.assertEqual(image["imageManifest"], text)
        self.assertEqual(image["imageManifestMediaType"], MT_V2)

        d = self.aws("ecr", "describe-images", "--repository-name", "app")["imageDetails"]
        self.assertEqual(len(d), 1)
        d = self.ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
        self.assertEqual(d["imageDigest"], digest)
        self.assertEqual(d["imageTags"], ["v1"])
        self.assertEqual(d["imageSizeInBytes"], size)
        self.assertEqual(d["imageManifestMediaType"], MT_V2)
        self.assertEqual(d["artifactMediaType"], MT_CONFIG)
        self.assertAlmostEqual(d["imagePushedAt"].timestamp(), pushed_at, delta=1)

        got = self.ecr.batch_get_image(repositoryName="app", imageIds=[
            {"imageTag": "v1"}, {"imageDigest": digest}, {"imageTag": "v9"},
            {"imageDigest": digest, "imageTag": "other"}, {}, {"imageDigest": "bad"}])
        self.assertEqual([i["imageId"] for i in got["images"]],
                         [{"imageDigest": digest, "imageTag": "v1"}, {"imageDigest": digest}])
        self.assertEqual(got["images"][0]["imageManifest"], text)
        self.assertEqual([f["failureCode"] for f in got["failures"]],
                         ["ImageNotFound", "ImageNotFound", "MissingDigestAndTag", "InvalidImageDigest"])
        self.assertEqual(got["failures"][0]["failureReason"], "Requested image not found")
        mismatch = self.ecr.batch_get_image(repositoryName="app", imageIds=[
            {"imageDigest": digest, "imageTag": "v1"}, {"imageDigest": sha(b"x"), "imageTag": "v1"}])
        self.assertEqual(mismatch["failures"][0]["failureCode"], "ImageTagDoesNotMatchDigest")

        # a second tag on the same manifest; the same tag again is ImageAlreadyExists
        self.ecr.put_image(repositoryName="app", imageManifest=text, imageTag="latest")
        self.assertEqual(self.tags_of("app"), {digest: ["latest", "v1"]})
        with self.assertAwsError("ImageAlreadyExistsException", message=(
                "Image with digest '%s' and tag 'v1' already exists in the repository with name 'app' in registry "
                "with id '%s'" % (digest, ACCOUNT))):
            self.ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v1")
        with self.assertAwsError("ImageDigestDoesNotMatchException"):
            self.ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v2", imageDigest=sha(b"x"))
        self.ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v2", imageDigest=digest)

    def test_upload_rules(self):
        self.ecr.create_repository(repositoryName="app")
        up = self.ecr.initiate_layer_upload(repositoryName="app")
        self.assertEqual(len(up["uploadId"]), 36)
        self.assertGreater(up["partSize"], 0)
        uid = up["uploadId"]
        with self.assertAwsError("InvalidLayerPartException"):  # must start at byte 0
            self.ecr.upload_layer_part(repositoryName="app", uploadId=uid, partFirstByte=1, partLastByte=3,
                                       layerPartBlob=b"abc")
        with self.assertAwsError("InvalidLayerPartException"):  # range and length disagree
            self.ecr.upload_layer_part(repositoryName="app", uploadId=uid, partFirstByte=0, partLastByte=9,
                                       layerPartBlob=b"abc")
        self.ecr.upload_layer_part(repositoryName="app", uploadId=uid, partFirstByte=0, partLastByte=2,
                                   layerPartBlob=b"abc")
        with self.assertAwsError("InvalidLayerPartException"):  # parts follow on
            self.ecr.upload_layer_part(repositoryName="app", uploadId=uid, partFirstByte=5, partLastByte=7,
                                       layerPartBlob=b"def")
        self.ecr.upload_layer_part(repositoryName="app", uploadId=uid, partFirstByte=3, partLastByte=5,
                                   layerPartBlob=b"def")
        with self.assertAwsError("LayerPartTooSmallException"):  # only the last part may be under 5 MiB
            self.ecr.complete_layer_upload(repositoryName="app", uploadId=uid, layerDigests=[sha(b"abcdef")])

        with self.assertAwsError("UploadNotFoundException"):
            self.ecr.upload_layer_part(repositoryName="app", uploadId="00000000-0000-0000-0000-000000000000",
                                       partFirstByte=0, partLastByte=0, layerPartBlob=b"a")
        with self.assertAwsError("RepositoryNotFoundException"):
            self.ecr.initiate_layer_upload(repositoryName="ghost")
        empty = self.ecr.initiate_layer_upload(repositoryName="app")["uploadId"]
        with self.assertAwsError("EmptyUploadException"):
            self.ecr.complete_layer_upload(repositoryName="app", uploadId=empty, layerDigests=[sha(b"")])

        wrong = self.ecr.initiate_layer_upload(repositoryName="app")["uploadId"]
        self.ecr.upload_layer_part(repositoryName="app", uploadId=wrong, partFirstByte=0, partLastByte=4,
                                   layerPartBlob=b"hello")
        with self.assertAwsError("InvalidLayerException"):
            self.ecr.complete_layer_upload(repositoryName="app", uploadId=wrong, layerDigests=[sha(b"olleh")])

        # a real multi-part layer: a 5 MiB part then a short last one
        big = os.urandom(5 * 1024 * 1024) + b"tail"
        digest = self.push_blob("app", big, parts=[big[:5 * 1024 * 1024], big[5 * 1024 * 1024:]])
        layer = self.ecr.batch_check_layer_availability(repositoryName="app", layerDigests=[digest])["layers"][0]
        self.assertEqual(layer["layerSize"], len(big))
        with self.assertAwsError("LayerAlreadyExistsException"):
            self.push_blob("app", big)
        # layers belong to their repository
        self.ecr.create_repository(repositoryName="other")
        self.assertEqual(self.ecr.batch_check_layer_availability(repositoryName="other",
                                                                 layerDigests=[digest])["layers"], [])

    def test_put_image_rules(self):
        self.ecr.create_repository(repositoryName="app")
        text, _ = self.manifest("app", "one", upload=False)
        doc = json.loads(text)
        missing = sorted([doc["config"]["digest"]] + [l["digest"] for l in doc["layers"]])
        try:
            self.ecr.put_image(repositoryName="app", imageManifest=text, imageTag="v1")
            self.fail("expected LayersNotFoundException")
        except self.ecr.exceptions.LayersNotFoundException as e:
            msg = e.response["Error"]["Message"]
            self.assertTrue(msg.startswith("Layers with digests '["), msg)
            self.assertTrue(msg.endswith("]' required for pushing image into repository with name 'app' in the "
                                         "registry with id '%s' do not exist" % ACCOUNT), msg)
            self.assertEqual(sorted(msg[msg.index("[") + 1:msg.index("]")].split(", ")), missing)
        with self.assertAwsError("InvalidParameterException"):
            self.ecr.put_image(repositoryName="app", imageManifest="{not json", imageTag="v1")
        with self.assertAwsError("RepositoryNotFoundException"):
            self.ecr.put_image(repositoryName="ghost", imageManifest=text)

        # foreign layers are never pushed: they need not exist
        config = b'{"os": "windows"}'
        self.push_blob("app", config)
        foreign = json.dumps({"schemaVersion": 2, "mediaType": MT_V2,
                              "config": {"mediaType": MT_CONFIG, "size": len(config), "digest": sha(config)},
                              "layers": [{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                                          "size": 1000, "digest": sha(b"windows base"),
                                          "urls": ["https://example.com/base"]}]})
        self.ecr.put_image(repositoryName="app", imageManifest=foreign, imageTag="win")

        # mutable: a tag moves to the new image, the old one stays untagged
        one = self.push("app", "one", tag="v1")
        two = self.push("app", "two", tag="v1")
        self.assertEqual(self.tags_of("app")[one], [])
        self.assertEqual(self.tags_of("app")[two], ["v1"])
        # an untagged push of an image already there
        with self.assertAwsError("ImageAlreadyExistsException", message="and tag 'null'"):
            self.ecr.put_image(repositoryName="app", imageManifest=self.manifest("app", "two")[0])

        # immutable: the tag stays where it is
        self.ecr.put_image_tag_mutability(repositoryName="app", imageTagMutability="IMMUTABLE")
        with self.assertAwsError("ImageTagAlreadyExistsException", message=(
                "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the "
                "repository is immutable.")):
            self.push("app", "three", tag="v1")
        with self.assertAwsError("ImageAlreadyExistsException"):  # the same image and tag again
            self.push("app", "two", tag="v1")
        self.push("app", "three", tag="v3")

        # a manifest list needs its images in the repository
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [{"mediaType": MT_V2, "digest": two, "size": 10,
                                "platform": {"architecture": "amd64", "os": "linux"}}]}
        out = self.ecr.put_image(repositoryName="app", imageManifest=json.dumps(index), imageTag="multi")
        self.assertEqual(out["image"]["imageManifestMediaType"], "application/vnd.oci.image.index.v1+json")
        index["manifests"][0]["digest"] = sha(b"absent")
        with self.assertAwsError("ReferencedImagesNotFoundException"):
            self.ecr.put_image(repositoryName="app", imageManifest=json.dumps(index), imageTag="multi2")

    def test_list_describe_and_delete_images(self):
        self.ecr.create_repository(repositoryName="app")
        a = self.push("app", "a", tag="a1")
        self.ecr.put_image(repositoryName="app", imageManifest=self.manifest("app", "a")[0], imageTag="a2")
        self.advance(1)
        b = self.push("app", "b", tag="b1")
        self.advance(1)
        c = self.push("app", "c")  # untagged
        ids = self.aws("ecr", "list-images", "--repository-name", "app")["imageIds"]
        self.assertEqual(sorted((i["imageDigest"], i.get("imageTag")) for i in ids),
                         sorted([(a, "a1"), (a, "a2"), (b, "b1"), (c, None)]))
        tagged = self.ecr.list_images(repositoryName="app", filter={"tagStatus": "TAGGED"})["imageIds"]
        self.assertEqual(len(tagged), 3)
        untagged = self.ecr.list_images(repositoryName="app", filter={"tagStatus": "UNTAGGED"})["imageIds"]
        self.assertEqual(untagged, [{"imageDigest": c}])
        page = self.ecr.list_images(repositoryName="app", maxResults=2)
        rest = self.ecr.list_images(repositoryName="app", maxResults=2, nextToken=page["nextToken"])
        self.assertEqual(len(page["imageIds"]) + len(rest["imageIds"]), 4)
        self.assertNotIn("nextToken", rest)

        details = self.ecr.describe_images(repositoryName="app", filter={"tagStatus": "UNTAGGED"})["imageDetails"]
        self.assertEqual([d["imageDigest"] for d in details], [c])
        self.assertNotIn("imageTags", details[0])
        first = self.ecr.describe_images(repositoryName="app", maxResults=1)
        self.assertEqual(len(first["imageDetails"]), 1)
        self.assertIn("nextToken", first)
        with self.assertAwsError("ImageNotFoundException", message=(
                "The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository "
                "with name 'app' in the registry with id '%s'" % ACCOUNT)):
            self.aws("ecr", "describe-images", "--repository-name", "app", "--image-ids", "imageTag=nope")

        # deleting one of two tags only untags; the last tag takes the image with it
        out = self.ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageTag": "a1"}])
        self.assertEqual(out["imageIds"], [{"imageDigest": a, "imageTag": "a1"}])
        self.assertEqual(self.tags_of("app")[a], ["a2"])
        out = self.aws("ecr", "batch-delete-image", "--repository-name", "app", "--image-ids", "imageTag=a2",
                       "imageTag=ghost", "imageDigest=%s" % c)
        self.assertEqual(sorted(out["imageIds"], key=lambda i: i["imageDigest"]),
                         sorted([{"imageDigest": a, "imageTag": "a2"}, {"imageDigest": c}],
                                key=lambda i: i["imageDigest"]))
        self.assertEqual(out["failures"], [{"imageId": {"imageTag": "ghost"}, "failureCode": "ImageNotFound",
                                            "failureReason": "Requested image not found"}])
        self.assertEqual(list(self.tags_of("app")), [b])
        out = self.ecr.batch_delete_image(repositoryName="app", imageIds=[
            {"imageDigest": b, "imageTag": "other"}, {}, {"imageDigest": "sha256:zz"}])
        self.assertEqual([f["failureCode"] for f in out["failures"]],
                         ["ImageNotFound", "MissingDigestAndTag", "InvalidImageDigest"])
        out = self.ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageDigest": b}])
        self.assertEqual(out["imageIds"], [{"imageDigest": b, "imageTag": "b1"}])
        self.assertEqual(self.ecr.describe_images(repositoryName="app")["imageDetails"], [])

    # ---- lifecycle policies -------------------------------------------------------------------------

    def test_lifecycle_policy_validation(self):
        self.ecr.create_repository(repositoryName="app")
        msg = "Lifecycle policy does not exist for the repository with name 'app' in the registry with id '%s'" % (
            ACCOUNT)
        with self.assertAwsError("LifecyclePolicyNotFoundException", message=msg):
            self.aws("ecr", "get-lifecycle-policy", "--repository-name", "app")
        with self.assertAwsError("LifecyclePolicyNotFoundException"):
            self.ecr.delete_lifecycle_policy(repositoryName="app")
        with self.assertAwsError("LifecyclePolicyNotFoundException"):
            self.ecr.start_lifecycle_policy_preview(repositoryName="app")
        with self.assertAwsError("LifecyclePolicyPreviewNotFoundException"):
            self.ecr.get_lifecycle_policy_preview(repositoryName="app")
        good = rule(1, "tagged", "imageCountMoreThan", 5, tagPrefixList=["v"])
        bad = [
            {"rules": []},
            {"rules": [dict(good, rulePriority=0)]},
            {"rules": [good, dict(good, description="dup")]},  # same priority
            {"rules": [rule(1, "tagged", "imageCountMoreThan", 5)]},  # tagged needs a list
            {"rules": [rule(1, "tagged", "imageCountMoreThan", 5, tagPrefixList=["v"], tagPatternList=["v*"])]},
            {"rules": [rule(1, "untagged", "imageCountMoreThan", 5, tagPrefixList=["v"])]},
            {"rules": [rule(1, "tagged", "imageCountMoreThan", 5, tagPatternList=["*a*b*c*d*e"])]},  # 5 wildcards
            {"rules": [rule(1, "any", "imageCountMoreThan", 5), rule(2, "untagged", "imageCountMoreThan", 1)]},
            {"rules": [rule(1, "untagged", "imageCountMoreThan", 1), rule(2, "untagged", "sinceImagePushed", 1)]},
            {"rules": [rule(1, "any", "imageCountMoreThan", 0)]},
            {"rules": [dict(rule(1, "any", "sinceImagePushed", 3), selection={
                "tagStatus": "any", "countType": "sinceImagePushed", "countNumber": 3})]},  # countUnit missing
            {"rules": [dict(rule(1, "any", "imageCountMoreThan", 3), selection={
                "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3, "countUnit": "days"})]},
            {"rules": [dict(good, action={"type": "delete"})]},
            {"rules": [dict(good, extra=1)]},
        ]
        for doc in bad:
            text = json.dumps(doc).ljust(100)  # the model wants at least 100 characters
            with self.assertAwsError("InvalidParameterException", message=(
                    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy "
                    "validation failure: ")):
                self.ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=text)
        text = policy(good, rule(2, "any", "sinceImagePushed", 30))
        out = self.aws("ecr", "put-lifecycle-policy", "--repository-name", "app", "--lifecycle-policy-text", text)
        self.assertEqual((out["repositoryName"], out["lifecyclePolicyText"]), ("app", text))
        self.assertEqual(self.ecr.get_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"], text)
        self.advance(5)  # the policy runs: lastEvaluatedAt
        self.assertIn("lastEvaluatedAt", self.ecr.get_lifecycle_policy(repositoryName="app"))
        self.assertEqual(self.ecr.delete_lifecycle_policy(repositoryName="app")["lifecyclePolicyText"], text)
        with self.assertAwsError("LifecyclePolicyNotFoundException", message=msg):
            self.ecr.get_lifecycle_policy(repositoryName="app")

    def push_series(self):
        """Images a day apart, oldest first: prod-1..4 and dev-1..2 interleaved, then two untagged."""
        digests = {}
        for name in ("prod-1", "dev-1", "prod-2", "prod-3", "dev-2", "prod-4", None, None):
            key = name or "untagged-%d" % len(digests)
            digests[key] = self.push("app", key, tag=name)
            self.advance(DAY)
        return digests

    def test_lifecycle_preview_and_expiry(self):
        self.ecr.create_repository(repositoryName="app")
        d = self.push_series()  # the newest was pushed one day ago
        text = policy(
            rule(1, "tagged", "imageCountMoreThan", 2, tagPrefixList=["prod"]),   # keeps prod-4, prod-3
            rule(2, "untagged", "sinceImagePushed", 1),                           # untagged-6 is 2 days old
            rule(3, "any", "imageCountMoreThan", 3))                              # the dev images: others claimed
        out = self.aws("ecr", "start-lifecycle-policy-preview", "--repository-name", "app",
                       "--lifecycle-policy-text", text)
        self.assertEqual(out["status"], "IN_PROGRESS")
        self.aws("ecr", "wait", "lifecycle-policy-preview-complete", "--repository-name", "app")
        prev = self.ecr.get_lifecycle_policy_preview(repositoryName="app")
        self.assertEqual(prev["status"], "COMPLETE")
        self.assertEqual(prev["lifecyclePolicyText"], text)
        got = {r["imageDigest"]: r["appliedRulePriority"] for r in prev["previewResults"]}
        # rule 3 counts every image (u7 u6 prod-4 | dev-2 prod-3 prod-2 dev-1 prod-1) but may only expire
        # what no earlier rule's tag selection claimed
        want = {d["prod-1"]: 1, d["prod-2"]: 1, d["untagged-6"]: 2, d["dev-1"]: 3, d["dev-2"]: 3}
        self.assertEqual(got, want)
        self.assertEqual(prev["summary"], {"expiringImageTotalCount": 5})
        self.assertEqual({r["action"]["type"] for r in prev["previewResults"]}, {"EXPIRE"})
        tagged = self.ecr.get_lifecycle_policy_preview(repositoryName="app", filter={"tagStatus": "UNTAGGED"})
        self.assertEqual([r["imageDigest"] for r in tagged["previewResults"]], [d["untagged-6"]])
        one = self.ecr.get_lifecycle_policy_preview(repositoryName="app", imageIds=[{"imageTag": "prod-1"}])
        self.assertEqual([r["imageTags"] for r in one["previewResults"]], [["prod-1"]])
        page = self.ecr.get_lifecycle_policy_preview(repositoryName="app", maxResults=3)
        self.assertEqual(len(page["previewResults"]), 3)
        self.assertIn("nextToken", page)
        # the preview expired nothing
        self.assertEqual(len(self.tags_of("app")), 8)

        # applied on the clock: nothing at once, everything the preview named shortly after
        self.ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=text)
        self.assertEqual(len(self.tags_of("app")), 8)
        self.advance(60)
        left = self.tags_of("app")
        # by the time the policy runs, untagged-7 is more than a day old too
        self.assertEqual(set(left), set(d.values()) - set(want) - {d["untagged-7"]})
        self.assertIn("lastEvaluatedAt", self.ecr.get_lifecycle_policy(repositoryName="app"))
        # a push that exceeds a count expires the oldest of its selection
        prod5 = self.push("app", "prod-5", tag="prod-5")
        self.advance(60)
        left = self.tags_of("app")
        self.assertIn(prod5, left)
        self.assertNotIn(d["prod-3"], left)
        self.assertIn(d["prod-4"], left)

    def test_lifecycle_pattern_list_and_ageing(self):
        self.ecr.create_repository(repositoryName="app")
        keep = self.push("app", "k", tag="release-1.0-final")
        old = self.push("app", "o", tag="release-1.1-rc")
        self.advance(3 * DAY)
        young = self.push("app", "y", tag="release-1.2-rc")
        text = policy(rule(1, "tagged", "sinceImagePushed", 1, tagPatternList=["release-*-rc"]))
        self.ecr.put_lifecycle_policy(repositoryName="app", lifecyclePolicyText=text)
        self.advance(60)
        self.assertEqual(set(self.tags_of("app")), {keep, young})
        # nothing else is pushed: the young image is expired once it is older than a day
        self.advance(DAY - 120)
        self.assertIn(young, self.tags_of("app"))
        self.advance(3600)
        self.assertEqual(set(self.tags_of("app")), {keep})
        self.assertNotIn(old, self.tags_of("app"))

    # ---- ECS pulls from drydock ECR ----------------------------------------------------------------

    def ecs_world(self):
        ec2, self.ecs = self.client("ec2"), self.client("ecs")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % (i + 1),
                                          AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                        for i, az in enumerate("ab")]
        self.client("iam").create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=TRUST)
        self.ecs.create_cluster(clusterName="main")

    def ecs_service(self, name, image):
        self.ecs.register_task_definition(
            family=name, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
            executionRoleArn=EXEC_ROLE, containerDefinitions=[{"name": "app", "image": image, "essential": True}])
        self.ecs.create_service(cluster="main", serviceName=name, taskDefinition=name, desiredCount=1,
                                launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                                    "subnets": self.subnets, "assignPublicIp": "DISABLED"}})

    def ecs_describe(self, name):
        return self.ecs.describe_services(cluster="main", services=[name])["services"][0]

    def stopped(self, name):
        arns = self.ecs.list_tasks(cluster="main", serviceName=name, desiredStatus="STOPPED")["taskArns"]
        return self.ecs.describe_tasks(cluster="main", tasks=arns)["tasks"] if arns else []

    def test_ecs_pulls_from_ecr(self):
        self.ecs_world()
        uri = self.ecr.create_repository(repositoryName="team/web")["repository"]["repositoryUri"]
        digest = self.push("team/web", "v1", tag="v1")
        self.ecs_service("tagged", uri + ":v1")
        self.ecs_service("pinned", uri + "@" + digest)
        self.ecs_service("hub", "nginx:1.25")                                    # not drydock's to check
        self.ecs_service("elsewhere", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1")  # another account
        self.ecs_service("missing", uri + ":v2")
        self.ecs_service("norepo", REGISTRY + "/ghost:latest")
        self.advance(20)
        for name in ("tagged", "pinned", "hub", "elsewhere"):
            d = self.ecs_describe(name)
            self.assertEqual(d["runningCount"], 1, (name, [t.get("stoppedReason") for t in self.stopped(name)]))
            self.assertEqual(d["events"][0]["message"], "(service %s) has reached a steady state." % name)

        failed = self.stopped("missing")
        self.assertGreaterEqual(len(failed), 1)
        t = failed[0]
        self.assertEqual((t["lastStatus"], t["stopCode"]), ("STOPPED", "TaskFailedToStart"))
        self.assertEqual(t["stoppedReason"],
                         "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
                         "resolve ref %s:v2: not found" % uri)
        self.assertEqual(self.ecs_describe("missing")["runningCount"], 0)
        reason = self.stopped("norepo")[0]["stoppedReason"]
        self.assertTrue(reason.startswith("CannotPullContainerError: pull image manifest has been retried 5 time(s)"),
                        reason)
        self.assertIn("The repository with name 'ghost' does not exist", reason)

        # the tag is pushed: the service's next task pulls it and the service settles
        self.push("team/web", "v2", tag="v2")
        self.advance(120)
        d = self.ecs_describe("missing")
        self.assertEqual(d["runningCount"], 1)
        self.assertEqual(d["events"][0]["message"], "(service missing) has reached a steady state.")


if __name__ == "__main__":
    harness.main()

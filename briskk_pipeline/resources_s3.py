"""`S3ObjectStore`: the object store on S3 (AWS, MinIO, any S3 API), the production version.

Apart from `resources.py` so that only a process configured for S3 (`S3_BUCKET`) imports
dagster-aws and boto3: they cost 0.7 s of start-up, which every `briskk` command and every
Dagster run process paid on the local default too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from briskk_pipeline.resources import ObjectStore


class S3ObjectStore(ObjectStore):
    """An S3 bucket (AWS, MinIO or any S3 API) through dagster-aws' `S3Resource`."""

    bucket: str
    prefix: str = ""
    s3: S3Resource

    _client: Any = PrivateAttr(default=None)

    def _key(self, key: str) -> str:
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.s3.get_client()
        return self._client

    def put(self, key: str, data: bytes, content_type: str) -> str:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )
        return self.uri(key)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def list(self, prefix: str) -> list[str]:
        strip = len(self._key(""))
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        return sorted(o["Key"][strip:] for page in pages for o in page.get("Contents", []))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> int:
        """One DeleteObjects request per 1,000 keys (the API's limit) rather than one each."""
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            response = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if response.get("Errors"):
                first = response["Errors"][0]
                raise OSError(f"could not delete {first.get('Key')}: {first.get('Message')}")
        return len(keys)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{quote(self._key(key))}"

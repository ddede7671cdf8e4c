"""`S3ObjectStore`: the object store on S3 (AWS, MinIO, any S3 API), the production version.

Apart from `resources.py` so that only a process configured for S3 (`S3_BUCKET`) imports
dagster-aws and boto3: they cost 0.7 s of start-up, which every `briskk` command and every
Dagster run process paid on the local default too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from briskk_pipeline.faults import ObjectStoreError
from briskk_pipeline.resources import ObjectStore

_NOT_FOUND = ("404", "NoSuchKey", "NotFound")


def s3_error_words(error: Exception) -> str:
    """`AccessDenied: Access Denied`, `could not connect to http://…`: a botocore error in one
    line (a `ClientError` is the service's answer; other `BotoCoreError`s mean no answer)."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or "error"
        message = details.get("Message") or ""
        return f"{code}: {message}".rstrip(": ") if message != code else code
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[0].lower() + text[1:] if text else text


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

    @contextmanager
    def _faults(self, doing: Callable[[str], str]) -> Iterator[None]:
        """botocore errors (the service refused, or could not be reached) as
        `ObjectStoreError`; `doing(words)` makes the one line."""
        try:
            yield
        except (ClientError, BotoCoreError) as error:
            raise ObjectStoreError(doing(s3_error_words(error))) from error

    def put(self, key: str, data: bytes, content_type: str) -> str:
        """One PutObject: S3 stores it whole or not at all."""
        with self._faults(lambda w: f"the object store refused the write: {w} at {self.uri(key)}"):
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
            )
        return self.uri(key)

    def get(self, key: str) -> bytes:
        with self._faults(lambda w: f"the object store could not read {self.uri(key)}: {w}"):
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=self._key(key))[
                "Body"
            ].read()
        return data

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return False
            raise ObjectStoreError(
                f"the object store could not check {self.uri(key)}: {s3_error_words(error)}"
            ) from error
        except BotoCoreError as error:
            raise ObjectStoreError(
                f"the object store could not check {self.uri(key)}: {s3_error_words(error)}"
            ) from error
        return True

    def list(self, prefix: str) -> list[str]:
        strip = len(self._key(""))
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        return sorted(o["Key"][strip:] for page in pages for o in page.get("Contents", []))

    def delete(self, key: str) -> None:
        with self._faults(lambda w: f"the object store refused to delete {self.uri(key)}: {w}"):
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

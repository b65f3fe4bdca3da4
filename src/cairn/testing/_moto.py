"""moto's S3-compatible server in a thread, for s3fs/boto3 code under test."""

from __future__ import annotations

from typing import Any

from cairn.testing._base import Service, has_module


class MotoS3Server(Service):
    """moto's server on 127.0.0.1 with dummy credentials in us-east-1; changes no env vars."""

    region = "us-east-1"
    key = "testing"
    secret = "testing"

    def __init__(self) -> None:
        self._server: Any = None
        self.endpoint_url = ""

    @classmethod
    def why_unavailable(cls) -> str | None:
        """Return why the server cannot run here, or ``None`` when it can."""
        missing = [m for m in ("moto", "flask", "werkzeug", "boto3") if not has_module(m)]
        if missing:
            return f"not installed: {', '.join(missing)} (pip install 'moto[server]')"
        return None

    @classmethod
    def available(cls) -> bool:
        """Tell whether moto's server and boto3 are installed."""
        return cls.why_unavailable() is None

    def start(self) -> MotoS3Server:
        """Start the server thread on a free port."""
        if self._server is not None:
            return self
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._started()
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    @property
    def storage_options(self) -> dict[str, Any]:
        """Keyword arguments for ``s3fs.S3FileSystem`` (fsspec ``storage_options``)."""
        return {
            "key": self.key,
            "secret": self.secret,
            "client_kwargs": {"endpoint_url": self.endpoint_url, "region_name": self.region},
        }

    def client(self) -> Any:
        """Return a boto3 S3 client for this server."""
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region,
            aws_access_key_id=self.key, aws_secret_access_key=self.secret,
        )  # fmt: skip

    def create_bucket(self, name: str) -> str:
        """Create bucket ``name`` and return the name."""
        self.start()
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        """Stop the server thread and close its listening socket."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            inner = getattr(server, "_server", None)  # moto's stop() leaves the socket open
            if inner is not None:
                inner.server_close()
        self.endpoint_url = ""
        self._stopped()

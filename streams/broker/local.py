"""A genuine single-node Apache Kafka broker (KRaft) for development, demos and tests.

The jars come from Maven Central through ``mvn`` (deploy/kafka/pom.xml), are cached
outside the work tree, and the broker runs as a plain ``java`` process bound to
127.0.0.1. No faust or Kafka client import here: this module only manages a process.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
READY_LINE = "Kafka Server started"


class BrokerError(RuntimeError):
    """The broker could not be fetched, formatted, started or stopped."""


def default_cache_dir() -> Path:
    env = os.environ.get("MENTION_ROUTER_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mention-router"


@dataclass(frozen=True)
class BrokerConfig:
    """Where a broker lives and which loopback ports it binds."""

    home: Path  # data, logs, pid file and server.properties of this broker instance
    port: int = 9092
    controller_port: int = 9093
    heap: str = "768m"
    cache_dir: Path | None = None  # jars; shared by every instance

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def lib_dir(self) -> Path:
        return (self.cache_dir or default_cache_dir()) / f"kafka-{KAFKA_VERSION}" / "lib"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def properties_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def server_log(self) -> Path:
        return self.logs_dir / "server.log"


def fetch_jars(config: BrokerConfig) -> Path:
    """Resolve the broker's jars with Maven once; later calls reuse the cache."""
    lib = config.lib_dir
    marker = lib / ".complete"
    if marker.exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            "Maven (mvn) is not on PATH; it is needed once to fetch Apache Kafka: install it (Debian: apt install "
            "maven)"
        )
    if not (DEPLOY_DIR / "pom.xml").exists():
        raise BrokerError(f"{DEPLOY_DIR / 'pom.xml'} is missing; run from a clone of the project")
    staging = lib.with_name("lib.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        mvn, "-q", "-B", "-f", str(DEPLOY_DIR / "pom.xml"),
        "dependency:copy-dependencies", f"-DoutputDirectory={staging}", "-DincludeScope=runtime",
    ]  # fmt: skip
    logger.info("fetching Apache Kafka %s jars with Maven into %s", KAFKA_VERSION, lib)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BrokerError(f"mvn failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    marker.write_text(KAFKA_VERSION)
    return lib


def _cluster_id() -> str:
    # Kafka cluster ids are a random UUID, base64url without padding (what `random-uuid` prints). One in 64
    # starts with "-", so it is passed as --cluster-id=ID: a separate argument would be read as an option.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise BrokerError(
            "java is not on PATH; Apache Kafka 4.x needs Java 17+: install it (Debian: apt install "
            "openjdk-17-jre-headless), or set JAVA_HOME"
        )
    return java


def _java_base(config: BrokerConfig) -> list[str]:
    return [
        _java(), f"-Xms{config.heap}", f"-Xmx{config.heap}", "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.yaml'}",
        f"-Dkafka.logs.dir={config.logs_dir}", "-cp", f"{config.lib_dir}/*",
    ]  # fmt: skip


def write_properties(config: BrokerConfig) -> Path:
    template = (DEPLOY_DIR / "server.properties.template").read_text()
    text = template.format(port=config.port, controller_port=config.controller_port, data_dir=config.data_dir)
    config.home.mkdir(parents=True, exist_ok=True)
    config.properties_file.write_text(text)
    return config.properties_file


def format_storage(config: BrokerConfig) -> None:
    if (config.data_dir / "meta.properties").exists():
        return
    config.data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [*_java_base(config), "kafka.tools.StorageTool", "format", "--ignore-formatted",
           f"--cluster-id={_cluster_id()}", "-c", str(config.properties_file)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BrokerError(f"kafka StorageTool format failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def read_pid(config: BrokerConfig) -> int | None:
    try:
        pid = int(config.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def is_ready(config: BrokerConfig) -> bool:
    if not port_open(config.port):
        return False
    try:
        return READY_LINE in config.server_log.read_text(errors="replace")
    except FileNotFoundError:
        return False


def start(config: BrokerConfig, timeout: float = 90.0) -> int:
    """Fetch, format and start the broker; return its pid once it is ready.

    Idempotent: a broker already running from the same home is reused.
    """
    pid = read_pid(config)
    if pid is not None and is_ready(config):
        return pid
    for p in (config.port, config.controller_port):
        if port_open(p):
            raise BrokerError(f"port 127.0.0.1:{p} is already in use by another process")
    fetch_jars(config)
    write_properties(config)
    format_storage(config)
    config.logs_dir.mkdir(parents=True, exist_ok=True)
    # A fresh server.log per start, so the ready line we wait for is this run's.
    if config.server_log.exists():
        config.server_log.replace(config.logs_dir / "server.log.previous")
    stdout = open(config.logs_dir / "kafka.out", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [*_java_base(config), "kafka.Kafka", str(config.properties_file)],
        stdout=stdout, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # our Ctrl-C must not kill it mid-write; `down` stops it cleanly
    )  # fmt: skip
    stdout.close()
    config.pid_file.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrokerError(
                f"broker exited with {proc.returncode} during start; see {config.logs_dir / 'kafka.out'} "
                f"and {config.server_log}"
            )
        if is_ready(config):
            return proc.pid
        time.sleep(0.25)
    stop(config)
    raise BrokerError(f"broker not ready after {timeout:.0f}s; see {config.server_log}")


def stop(config: BrokerConfig, timeout: float = 30.0) -> bool:
    """SIGTERM (controlled shutdown), then SIGKILL after ``timeout``. True if one was running."""
    pid = read_pid(config)
    if pid is None:
        config.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.2)
    else:
        logger.warning("broker pid %d ignored SIGTERM for %.0fs; killing it", pid, timeout)
        os.kill(pid, signal.SIGKILL)
    config.pid_file.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our child, so it does not linger as a zombie.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

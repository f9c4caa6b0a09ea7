"""Every limit of the server in one object, read from the environment (prefix ``CONVVIZ_``), cached; tests
override ``get_settings`` (a route takes it as :data:`app.dependencies.SettingsDep`).

The bounds of single fields (sizes, kernel sizes, axis lengths) are static and live in the request schemas
(:mod:`app.schemas.common`, :mod:`app.schemas.experiments`); what is here bounds the work a whole request may
ask for. The pages get both from :mod:`app.limits`, never as copies. convcore keeps some wider bounds of its
own (naive convolution's MACs, the residual experiment's sizes, dropout's Monte Carlo values): library guards
for callers other than the server.
"""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVVIZ_")

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    allowed_origins: list[str] = []
    max_body_bytes: int = 8 * 1024 * 1024
    max_upload_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 4096 * 4096
    max_work_pixels: int = 512 * 512
    #: Values in one toy tensor: the playground's largest transposed output (4×64×64, 4× its largest input);
    #: the playground's sizes are derived from it (app.limits).
    max_tensor_elements: int = 16_384
    max_trace_steps: int = 4096
    # The price of a request (convcore.networks.cost) is checked against these before anything is allocated. A replica
    # has 1 GiB (docker-compose.yml): about 300 MiB is the interpreter with torch loaded, the rest is shared
    # by the requests running at once (memory_budget_bytes); one request may use at most max_request_bytes.
    max_request_bytes: int = 368 * 2**20
    max_request_work: int = 2_000_000_000
    memory_budget_bytes: int = 576 * 2**20
    # Priced requests computing at once in one process (a replica has one CPU; /health stays quick); requests
    # priced at most light_request_bytes (toy tensors) do not count, so they never wait behind photos.
    max_running: int = 2
    light_request_bytes: int = 48 * 2**20
    # A request that does not fit waits this long for others to finish, then gets a 503 with Retry-After.
    admission_wait_s: float = 4.0
    retry_after_s: int = 2
    #: Multiply-adds of one method=naive convolution: its pure-Python loop holds the GIL (~0.3 µs each);
    #: convcore's NAIVE_MAX_MACS (2,000,000, about a second) is the library's own wider guard.
    max_naive_macs: int = 50_000
    #: Multiply-adds of one operation on a toy tensor (about 20 ms with im2col).
    max_op_macs: int = 20_000_000
    #: Taps listed in one trace (steps × window size): each is a handful of numbers in the JSON, so this keeps
    #: a trace response near a megabyte and its building to milliseconds. max_trace_steps bounds the number of
    #: steps. The playground asks for a trace only within both (app.limits).
    max_trace_taps: int = 32_768
    #: The image lab: layers in one stack, channels of one layer, kernel size and dilation, the layer list's
    #: JSON text. The page's editor offers fewer kernels per layer (app.limits.PAGE_MAX_IMAGE_CHANNELS); this
    #: is the server's bound, which the page stays within.
    max_image_layers: int = 12
    max_image_channels: int = 16
    max_image_kernel: int = 31
    max_layers_json: int = 256 * 1024
    #: networks × samples × width² × depth of one residual experiment (convcore.networks.residual.check_work): the
    #: default run (32 × 16 × 64² × 50 ≈ 1.0e8) takes well under a second, and this bound (≈ 1.3e8) keeps every
    #: allowed request about that cheap. The residual page narrows its ranges to it (app.limits,
    #: static/js/lessons/budget.js).
    max_residual_work: int = 2**27
    #: Multiply-adds of every network run one equivariance request needs (≈ 0.5 s of float64 convolution).
    max_equivariance_macs: int = 600_000_000
    #: An uploaded ONNX model: its file size (413 above it) and its node count (422 above it).
    model_max_bytes: int = 5 * 1024 * 1024
    model_max_nodes: int = 20000
    #: Requests to the JSON endpoints that run at once in one process; the rest wait (see app.json_body).
    cpu_lanes: int = 1


@lru_cache
def get_settings() -> Settings:
    return Settings()

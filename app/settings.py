"""Settings read from the environment (prefix ``CONVVIZ_``), cached; tests override ``get_settings``."""

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
    #: Values in one toy tensor: 4× the playground's largest input (4×32×32).
    max_tensor_elements: int = 16_384
    max_trace_steps: int = 4096
    #: Multiply-adds of one method=naive convolution: its pure-Python loop holds the GIL (~0.3 µs each).
    max_naive_macs: int = 50_000
    #: Requests to the JSON endpoints that run at once in one process; the rest wait (see app.routers.json_body).
    cpu_lanes: int = 1


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""HTML pages. Each page is a template plus its ES module ``static/js/pages/<page>.js``."""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.dependencies import SettingsDep
from app.limits import page_limits
from app.settings import Settings
from app.templating import templates

router = APIRouter(include_in_schema=False)

# path → (template, page name: the body's data-page and the module the template loads)
PAGES: dict[str, tuple[str, str]] = {
    "/": ("index.html", "playground"),
    "/why-conv": ("why_conv.html", "why-conv"),
    "/equivariance": ("equivariance.html", "equivariance"),
    "/image": ("image.html", "image"),
    "/receptive-field": ("receptive_field.html", "receptive-field"),
    "/pooling": ("pooling.html", "pooling"),
    "/normalization": ("normalization.html", "normalization"),
    "/dropout": ("dropout.html", "dropout"),
    "/residual": ("residual.html", "residual"),
    "/compute": ("compute.html", "compute"),
    "/model": ("model.html", "model"),
}


def _page(template: str, page: str) -> Callable[[Request, Settings], HTMLResponse]:
    def render(request: Request, settings: SettingsDep) -> HTMLResponse:
        limits = page_limits(page, settings)
        return templates.TemplateResponse(request, template, {"page": page, "limits": limits})

    return render


for path, (template, page) in PAGES.items():
    router.add_api_route(path, _page(template, page), methods=["GET"], response_class=HTMLResponse, name=page)

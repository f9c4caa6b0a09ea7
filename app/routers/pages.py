"""HTML pages. Each page is a template plus its ES module under static/js/pages/."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def playground(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", {"page": "playground"})

"""HTML pages. Each page is a template plus its ES module under static/js/pages/."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def playground(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", {"page": "playground"})


@router.get("/pooling", response_class=HTMLResponse)
def pooling(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "pooling.html", {"page": "pooling"})


@router.get("/normalization", response_class=HTMLResponse)
def normalization(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "normalization.html", {"page": "normalization"})


@router.get("/dropout", response_class=HTMLResponse)
def dropout(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "dropout.html", {"page": "dropout"})


@router.get("/residual", response_class=HTMLResponse)
def residual(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "residual.html", {"page": "residual"})


@router.get("/image", response_class=HTMLResponse)
def image_lab(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "image.html", {"page": "image"})


@router.get("/receptive-field", response_class=HTMLResponse)
def receptive_field_explorer(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "receptive_field.html", {"page": "receptive-field"})


@router.get("/model", response_class=HTMLResponse)
def model(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "model.html", {"page": "model"})

"""Words on the pages in a real Chromium: tab titles, plurals, a language switch, server errors in Russian."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

TITLES = {
    "/": ("Песочница свёрток — convviz", "Convolution playground — convviz"),
    "/image": ("Лаборатория изображений — convviz", "Image lab — convviz"),
    "/receptive-field": ("Рецептивное поле — convviz", "Receptive field — convviz"),
    "/pooling": ("Пулинг — convviz", "Pooling — convviz"),
    "/normalization": ("Нормализация — convviz", "Normalization — convviz"),
    "/dropout": ("Дропаут — convviz", "Dropout — convviz"),
    "/residual": ("Остаточные связи — convviz", "Residual connections — convviz"),
    "/model": ("Ваша модель — convviz", "Your model — convviz"),
}


@pytest.mark.parametrize("path", list(TITLES))
def test_every_tab_title_is_a_sentence_in_both_languages(page, live_server: str, path: str) -> None:  # type: ignore[no-untyped-def]
    ru, en = TITLES[path]
    page.goto(f"{live_server}{path}?lang=ru&model=upload")
    expect(page).to_have_title(ru)
    page.get_by_role("button", name="EN").click()
    expect(page).to_have_title(en)


def test_the_playground_info_follows_the_language_switch(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/?lang=en")
    expect(page.locator("#pg-unread")).to_have_text("Every input row and column is read.")
    expect(page.locator("#pg-params")).to_contain_text("Trainable parameters")
    page.get_by_role("button", name="RU").click()
    expect(page.locator("#pg-unread")).to_have_text("Все строки и столбцы входа прочитаны.")
    expect(page.locator("#pg-params")).to_contain_text("Обучаемых параметров")
    expect(page.locator("#pg-macs")).to_contain_text("Умножений-сложений")
    page.get_by_role("button", name="EN").click()
    expect(page.locator("#pg-unread")).to_have_text("Every input row and column is read.")
    expect(page.locator("#pg-macs")).to_contain_text("Multiply-adds")


def test_a_server_error_reaches_a_russian_page_in_russian(page, live_server: str, problems) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/receptive-field?lang=ru&arch=vgg16&size=8")
    error = page.locator("#rf-error")
    expect(error).to_have_text(
        "Слой 23 (max_pool2d), высота 1: ядро занимает 2, а вход с паддингом — только 1: "
        "уменьшите ядро или дилатацию либо увеличьте паддинг или вход"
    )
    page.get_by_role("button", name="EN").click()
    expect(error).to_contain_text("Layer 23 (max_pool2d), height 1: the kernel spans 2")
    screenshot(page, "text-rf-error-en")
    problems.console_errors.clear()


def test_the_residual_ranges_follow_the_budget_and_a_refusal_clears_the_plot(page, live_server: str, problems) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/residual?lang=en&depth=4&width=16&samples=8&networks=4")
    expect(page.locator("#res-plot path").first).to_be_attached()
    expect(page.get_by_label("Networks")).to_have_attribute("max", "64")
    page.goto(f"{live_server}/residual?lang=ru")
    expect(page.locator("#res-meta")).to_contain_text("32 сети × 16 примеров")
    networks = page.get_by_label("Сетей")
    expect(networks).to_have_attribute("max", "40")
    networks.fill("128")
    networks.press("Enter")
    expect(networks).to_have_value("40")
    expect(page.locator("#res-clamp")).to_have_text(
        "Сетей: 128 не помещается вместе с остальными настройками "
        "(сети × примеры × ширина² × глубина ≤ 134\u00a0217\u00a0728); оставлено 40."
    )
    expect(page.locator("#res-meta")).to_contain_text("40 сетей × 16 примеров")
    # a link made before the budget was known: refused, and no old plot stays beside the new numbers
    page.goto(f"{live_server}/residual?lang=ru&networks=64")
    expect(page.locator("#res-error")).to_contain_text(
        "не больше 134\u00a0217\u00a0728 за один запрос, сейчас 209\u00a0715\u00a0200"
    )
    expect(page.locator("#res-plot path")).to_have_count(0)
    expect(page.locator("#res-meta")).to_have_text("")
    problems.console_errors.clear()


def test_an_upload_link_on_the_model_page_asks_for_the_file_again(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/model?lang=ru&model=upload&size=224&node=%2Fconv%2FConv")
    expect(page.locator("#model-status")).to_have_text(
        "Эта ссылка на модель, загруженную с компьютера, а загрузки нигде не хранятся: "
        "выберите файл .onnx ещё раз и нажмите «Посчитать»."
    )


def test_counts_on_the_pages_agree_with_their_nouns(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/normalization?lang=ru&steps=1")
    expect(page.locator("#bn-step")).to_contain_text("после 1 шага обучения")
    page.goto(f"{live_server}/normalization?lang=en&steps=1")
    expect(page.locator("#bn-step")).to_contain_text("after 1 training step)")
    page.goto(f"{live_server}/receptive-field?lang=ru&arch=vgg16&size=224")
    expect(page.locator("#totals")).to_have_text(
        "Всего: 138\u00a0357\u00a0544 параметра, 15\u00a0470\u00a0264\u00a0320 умножений-сложений."
    )

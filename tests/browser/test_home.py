from tests.queueing.factories import build_floor


def test_the_home_page_lists_the_entry_points(new_page, screenshot):
    build_floor()
    page = new_page()

    page.goto("/")

    assert page.get_by_role("link", name="管理后台").is_visible()
    assert page.get_by_role("link", name="接口文档").is_visible()
    screenshot(page, "home")

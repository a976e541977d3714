"""The reports API (CONTRACT.md): a hall's daily and agents reports and
report pages' data (`halls`), the city's overview and reports (`city`)."""

urlpatterns: list = []

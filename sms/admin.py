from django.contrib import admin

from .models import SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "masked_to", "purpose", "status", "attempts", "backend", "sent_at"]
    list_filter = ["status", "purpose", "backend"]
    search_fields = ["to"]
    readonly_fields = [f.name for f in SmsMessage._meta.fields]

    @admin.display(description="手机号")
    def masked_to(self, obj):
        return f"{obj.to[:3]}****{obj.to[-4:]}"

    def has_add_permission(self, request):
        return False

    def has_module_permission(self, request):
        return request.user.is_superuser

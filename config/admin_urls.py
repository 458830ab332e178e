"""The admin's URLconf, imported on the first request under /admin/ (or the first reverse() of
an admin URL): the admin modules are discovered here, not at start-up (config.apps.AdminConfig).
"""

from django.contrib import admin

from config.apps import admin_discovered

admin_discovered()

urlpatterns = admin.site.get_urls()

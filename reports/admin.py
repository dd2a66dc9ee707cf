"""The reports in the reviewers' admin: links from the admin's index, a programme, a run and a
city's result to the dashboard, ranking and scorecard pages (the pages check who may see
them)."""

from django.contrib import admin

admin.site.index_template = "reports/admin_index.html"

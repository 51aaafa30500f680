from django.urls import path

from netcourt.courts import views

app_name = "courts"
urlpatterns = [path("<slug:slug>/queue/", views.queue, name="queue")]

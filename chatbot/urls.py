from django.urls import path

from chatbot import views

app_name = "chatbot"
urlpatterns = [
    path("", views.chat_list, name="list"),
    path("start/", views.chat_start, name="start"),
    path("<int:conversation_id>/", views.chat, name="chat"),
    path("<int:conversation_id>/send/", views.chat_send, name="send"),
]

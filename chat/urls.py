from __future__ import annotations

from django.urls import path

from .views import ThreadTitleView, chat, chat_page

urlpatterns = [
    path("api/chat", chat, name="chat"),
    path("api/threads/<str:pk>/title", ThreadTitleView.as_view(), name="thread-title"),
    path("", chat_page, name="chat-page"),
]

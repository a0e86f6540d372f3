"""The Gradio chat UI, in layers that import only downwards:

    turns     a conversation: `Turn` (question and `Answer`, or the error shown), plain data
    render    HTML for the chat, the sources, the article view and the Articles tab (escaped)
    handlers  what each event does: typed values in and out, no Gradio; errors at the UI's edge
    assets    the page's CSS and JavaScript
    app       the page: layout, event wiring, the /ask and /articles API, launch

`rag` never imports `ui`.
"""

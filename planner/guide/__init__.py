"""The guides: the template context, the chart and tables, clinic branding and the renderer."""

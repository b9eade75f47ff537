"""The demo's report: summaries of the pipeline state and the HTML page with plots."""

"""Figures and the HTML report: what studies produce, drawn for people."""

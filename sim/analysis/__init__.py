"""Analysis of simulated records and queueing theory: KPIs, Erlang formulas, estimators, costs."""

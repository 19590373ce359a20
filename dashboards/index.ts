// Grafana dashboard generation arrives with the API and dashboards issue.
export {}

export { reportPeriods, type ReportPeriod, type PeriodRange } from './period.ts'
export { buildReport, alertFirings, type Report, type SloReport } from './build.ts'
export { makeReport, type ReportRequest, type ReportSources } from './gather.ts'
export { reportJson, reportMarkdown, formatSeconds, type ReportJson } from './render.ts'

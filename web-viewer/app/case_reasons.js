// Why the server refused a change of a case, in the page's language: from the problem's
// stable `code` and named `params` (the closed loop's rules, `incident.<rule>`; a case not
// found in the token's scope; a forbidden role), never from the server's English text. The
// case desk and the grid worker's page both word their refusals with it; a code not listed
// here gives null (the page then shows the server's text).
import { lang } from "./i18n.js";

const TEXT = {
  zh: {
    "incident.transition": "案件当前为「{status}」，不能转为「{to}」（可能已被他人办理，请刷新）",
    "incident.closed": "案件已结案，不能再办理此操作",
    "incident.not_closed": "案件尚未结案：结案时才能评价",
    "incident.assignment_step": "案件当前为「{status}」：只有待派遣或处置中的案件可以派遣或改派",
    "incident.event_order": "时间早于案件的上一步",
    "incident.event_in_future": "时间晚于当前时间",
    "incident.step_order": "时间早于案件的上一步，步骤须按闭环顺序",
    "incident.step_in_future": "时间晚于当前时间（允许误差 5 分钟），请检查设备时钟",
    "incident.extension_hours": "延期时长须大于 0 且不超过 8760 小时",
    "incident.duplicate_id": "编号 {id} 已用于另一件不同的案件",
    "scope.grid": "位置不在您的网格 {scope} 内（在网格 {grid}），未上报",
    not_found: "案件不存在，或不在您的管辖范围内",
    forbidden: "您的令牌无权进行此操作",
    out_of_scope: "不在您的管辖范围内",
    unauthorized: "令牌无效或已过期，请重新打开带令牌的链接",
  },
  en: {
    "incident.transition": "The case is “{status}” and cannot become “{to}” (someone may have acted on it: reload)",
    "incident.closed": "The case is closed: this can no longer be done",
    "incident.not_closed": "The case is not closed: it is evaluated when it is closed",
    "incident.assignment_step": "The case is “{status}”: only cases to dispatch or being handled are dispatched or reassigned",
    "incident.event_order": "The time is before the case's last step",
    "incident.event_in_future": "The time is later than now",
    "incident.step_order": "The time is before the case's last step: steps follow the closed loop",
    "incident.step_in_future": "The time is later than now (5 minutes allowed): check the device's clock",
    "incident.extension_hours": "An extension is more than 0 and at most 8,760 hours",
    "incident.duplicate_id": "The id {id} is already used by a different case",
    "scope.grid": "The place is not in your grid {scope} (it is in grid {grid}): not reported",
    not_found: "No such case, or not in your area",
    forbidden: "Your token may not do this",
    out_of_scope: "Not in your area",
    unauthorized: "The token is not valid or has expired: open the link with your token again",
  },
};

// The refusal `e` (an error with `code` and `params`, as `api` throws) worded in the page's
// language, statuses named by `statusName(status)`; null for a code not listed.
export function caseReason(e, statusName) {
  const template = e && e.code && (TEXT[lang] || TEXT.zh)[e.code];
  if (!template) return null;
  const params = e.params || {};
  return template.replace(/\{(\w+)\}/g, (_, k) => {
    if (!(k in params)) return `{${k}}`;
    return k === "status" || k === "to" ? statusName(params[k]) : String(params[k]);
  });
}

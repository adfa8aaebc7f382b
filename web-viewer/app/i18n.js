// Texts of the viewer in Chinese (default) and English. Elements carry data-i18n="key"
// (text) or data-i18n-title / data-i18n-placeholder; dynamic parts call t(key).
const TEXT = {
  zh: {
    title: "网格 Wangge", "mode.planner": "网格规划", "mode.office": "服务圈", "mode.wall": "大屏",
    "lang.other": "EN",
    plan: "方案", version: "版本", grids: "网格数", households: "户数", buildings: "楼栋",
    workers: "网格员", fill: "饱和度", compactness: "紧凑度 (Polsby-Popper)", reock: "紧凑度 (Reock)",
    area: "面积 (m²)", community: "社区", grid: "网格", code: "编码",
    "tool.select": "选楼栋", "tool.move": "移到网格…", "tool.split": "拆分网格", "tool.merge": "合并…",
    undo: "撤销", redo: "重做", "save.as": "另存为", "save.placeholder": "方案名称",
    compare: "对比", "compare.with": "对比版本", "compare.changed": "变化网格", moved: "迁移户数",
    "moved.list": "迁移明细", from: "原网格", to: "新网格", address: "地址点",
    repartition: "重新划分本社区", lock: "锁定网格", unlock: "解除锁定", locked: "已锁定",
    export: "导出", "export.csv": "报表 CSV", "three.d": "三维楼栋",
    "hint.grid": "点击网格查看详情", "hint.select": "点击楼栋选择 / 取消", "hint.move": "点击目标网格",
    "hint.merge": "点击要并入的网格", refused: "修改被拒绝", saved: "已保存为版本", selected: "已选楼栋",
    "edit.done": "已保存为新版本", "refused.other": "服务器拒绝了此操作", "legend.3d": "楼栋（按网格着色，高度按层数）", "legend.3d.estimated": "浅色：层数未知，高度为估计值",
    building: "楼栋", levels: "层数", estimated: "估计", height: "高度", entrances: "单元入口", circle: "{minutes}分钟生活圈", "no.grid": "先点击选择一个网格",
    stale: "此版本已不是当前版本：其他规划人员的修改在先（当前版本 #{current}）。未保存。", reload: "载入当前版本",
    category: "设施类别", minutes: "步行时间", min: "分钟", covered: "覆盖户数", share: "覆盖率",
    completeness: "生活圈完整率", "completeness.short": "完整率", gaps: "未覆盖片区", "by.community": "按社区", "by.grid": "按网格",
    uncovered: "未覆盖户数", siting: "选址建议", suggest: "建议选址", k: "处数", gain: "新增覆盖",
    whatif: "模拟新增设施", "whatif.hint": "在地图上点击放置设施", clear: "清除",
    "before.after": "之前 → 之后", hh: "户", "no.data": "无数据", "not.judged": "未评判（无数据）",
    "token.title": "访问令牌", "token.needed": "本服务器需要访问令牌。请输入管理员发给您的令牌。",
    "token.role": "您的令牌无权使用此功能。请换用有权限的令牌。", "token.use": "使用", facilities: "设施数", name: "名称", "loading": "计算中…",
    "cat.kindergarten": "幼儿园", "cat.health_station": "社区卫生服务站", "cat.elderly_care": "养老设施",
    "cat.convenience_store": "便利店", "cat.primary_school": "小学", "cat.fresh_market": "菜市场",
    "cat.middle_school": "中学", "cat.culture": "文化活动中心", "cat.community_centre": "社区服务中心",
    "cat.supermarket": "超市", "cat.childcare": "托育机构", "cat.school": "学校", "cat.hospital": "医院", "cat.pharmacy": "药店",
    "cat.social_facility": "社会福利设施", "cat.food": "餐饮", "cat.bank": "银行", "cat.post": "邮政", "cat.police": "派出所",
    "cat.toilets": "公共厕所", "cat.shop": "商店", "cat.park": "公园绿地", "cat.sports": "体育设施", "cat.other": "其他",
    "wall.page.title": "网格事件大屏", "wall.title": "事件态势", "wall.today": "今日上报", "wall.open": "未结案",
    "wall.kpis": "关键指标", "wall.reported": "上报事件", "wall.closure": "结案率", "wall.on_time": "按期结案率", "wall.overdue": "超期案件", "wall.rework": "返工率", "wall.satisfied": "满意率",
    "wall.trend": "近12个月", "wall.trend.what": "上报（柱）· 结案率（线）", "wall.latest": "最新事件", "wall.categories": "30日高发类别",
    "wall.district": "全区", "wall.data.until": "数据截至{month}，本月暂无数据", "wall.waiting": "等待服务器…",
    "wall.no.change": "无上月数据", "wall.pp": "个百分点", "wall.vs.previous": "较上月",
    "wall.departments": "部门", "wall.workers": "处置人员", "wall.none.assigned": "该月暂无派遣记录",
    "wall.streets": "街道", "wall.communities": "社区", "wall.per1000": "千户事件数", "wall.top.grids": "30日高发网格",
    "wall.top.communities": "30日高发社区", "wall.grid.name": "{community} {serial}号网格", "wall.minutes.ago": "{n}分钟前",
    "wall.hours.ago": "{n}小时前", "wall.days.ago": "{n}天前", "wall.outside": "辖区外",
    "wall.days.1": "今日", "wall.days.7": "近7天", "wall.days.30": "近30天", "wall.days.365": "近1年",
    "wall.heat": "事件热度", "wall.heat.until": "截至{date}", "wall.until": "（截至{date}）", "wall.heat.linear": "核密度：一个事件在其位置为 1，半径 200 米；色阶上限为本时段全区的第 99 百分位", "wall.heat.log": "核密度（对数色阶）：一个事件在其位置为 1，半径 200 米", "wall.beijing": "北京时间",
    "step.reported": "上报", "step.dispatched": "派遣", "step.handled": "处置", "step.followed_up": "回访", "step.closed": "结案",
    "code.title": "网格编码的末三位（社区编码 + 序号）", "grid.list": "网格列表", renumber: "重新编号本社区", "renumber.title": "按由北向南、由西向东重新编排本社区网格序号（其他修改不改变未涉及网格的编码）",
    "def.fill": "饱和度 = 户数 ÷ 上限（200 户）", "def.compactness": "Polsby-Popper 紧凑度 = 4π × 面积 ÷ 周长²，圆为 1", "def.reock": "Reock 紧凑度 = 面积 ÷ 最小外接圆面积，圆为 1", "def.workers": "网格员 = 每 100 户一名，向上取整",
    "def.share": "覆盖率 = 步行可达该类设施的户数 ÷ 总户数", "def.completeness": "生活圈完整率 = 步行可达生活圈全部类别设施的户数 ÷ 总户数",
    legend: "图例", "legend.fill": "网格饱和度", "legend.fill.unit": "% 上限", "legend.grid": "网格边界（粗线：选中）", "legend.changed": "本次修改涉及的网格",
    "legend.locked": "锁定的网格", "legend.compare": "对比版本的网格", "legend.selected": "已选楼栋",
    "legend.area": "{minutes} 分钟步行可达{category}的范围", "legend.gaps": "未覆盖片区（户）", "legend.facilities": "{category}", "legend.siting": "建议选址（序号）",
    "legend.whatif": "模拟新增的设施", "legend.chosen": "表中选中的社区或网格", gap: "未覆盖片区",
    "kind.partition": "划分", "kind.edit": "编辑", "kind.restore": "恢复", "kind.undo": "撤销",
    "undo.done": "已撤销：恢复版本 #{from} 的网格，保存为版本 #{plan}", "redo.done": "已重做：恢复版本 #{from} 的网格，保存为版本 #{plan}",
    "warn.no_facility": "{category}：辖区内没有该类设施，覆盖率不作评判", "warn.out_of_reach": "{category}：设施都在步行网络可达范围之外", "warn.off_network": "{category}：设施不在步行网络上",
    "def.reported": "上报事件：本月上报的全部事件（各来源）", "def.closure": "结案率 = 已结案 ÷ 已立案（本月上报，按月末或当前计）",
    "def.on_time": "按期结案率 = 在时限（含延期）内结案 ÷ 已结案", "def.overdue": "超期案件：已立案、未结案、已超过所在环节时限的案件",
    "def.rework": "返工率 = 回访不满意退回重办过的案件 ÷ 已结案", "def.satisfied": "满意率 = 评价为满意或基本满意 ÷ 已评价的结案案件",
  },
  en: {
    title: "Wangge 网格", "mode.planner": "Grid planning", "mode.office": "Service circles", "mode.wall": "Wall screen",
    "lang.other": "中文",
    plan: "Plan", version: "Version", grids: "Grids", households: "Households", buildings: "Buildings",
    workers: "Grid workers", fill: "Fill", compactness: "Compactness (Polsby-Popper)", reock: "Compactness (Reock)",
    area: "Area (m²)", community: "Community", grid: "Grid", code: "Code",
    "tool.select": "Select buildings", "tool.move": "Move to grid…", "tool.split": "Split grid", "tool.merge": "Merge…",
    undo: "Undo", redo: "Redo", "save.as": "Save as", "save.placeholder": "Plan name",
    compare: "Compare", "compare.with": "Compare versions", "compare.changed": "Changed grids", moved: "Moved households",
    "moved.list": "Moves", from: "From", to: "To", address: "Address point",
    repartition: "Re-partition this community", lock: "Lock grid", unlock: "Unlock", locked: "Locked",
    export: "Export", "export.csv": "CSV report", "three.d": "3D buildings",
    "hint.grid": "Click a grid for its figures", "hint.select": "Click buildings to select or deselect", "hint.move": "Click the target grid",
    "hint.merge": "Click the grid to merge in", refused: "Edit refused", saved: "Saved as version", selected: "Selected buildings",
    "edit.done": "Saved as a new version", "refused.other": "The server refused this", "legend.3d": "Buildings (coloured by grid, height from storeys)", "legend.3d.estimated": "Pale: storeys unknown, height estimated",
    building: "Building", levels: "Storeys", estimated: "estimated", height: "Height", entrances: "Entrances", circle: "{minutes}-minute circle", "no.grid": "Click a grid first",
    stale: "This version is no longer current: another planner's change came first (current: #{current}). Nothing was saved.", reload: "Load the current version",
    category: "Facility category", minutes: "Walking time", min: "min", covered: "Households covered", share: "Coverage",
    completeness: "Life-circle completeness", "completeness.short": "Complete", gaps: "Uncovered areas", "by.community": "By community", "by.grid": "By grid",
    uncovered: "Uncovered households", siting: "Siting suggestions", suggest: "Suggest sites", k: "Sites", gain: "Gain",
    whatif: "What-if: add a facility", "whatif.hint": "Click on the map to place a facility", clear: "Clear",
    "before.after": "Before → after", hh: "households", "no.data": "no data", "not.judged": "not judged (no data)",
    "token.title": "Access token", "token.needed": "This server needs an access token. Enter the one your administrator gave you.",
    "token.role": "Your token may not use this. Use a token with the right role.", "token.use": "Use", facilities: "Facilities", name: "Name", "loading": "Computing…",
    "cat.kindergarten": "Kindergarten", "cat.health_station": "Health station", "cat.elderly_care": "Elderly care",
    "cat.convenience_store": "Convenience store", "cat.primary_school": "Primary school", "cat.fresh_market": "Fresh market",
    "cat.middle_school": "Middle school", "cat.culture": "Culture centre", "cat.community_centre": "Community centre",
    "cat.supermarket": "Supermarket", "cat.childcare": "Childcare", "cat.school": "School", "cat.hospital": "Hospital", "cat.pharmacy": "Pharmacy",
    "cat.social_facility": "Social facility", "cat.food": "Food", "cat.bank": "Bank", "cat.post": "Post office", "cat.police": "Police",
    "cat.toilets": "Public toilets", "cat.shop": "Shop", "cat.park": "Park", "cat.sports": "Sports", "cat.other": "Other",
    "wall.page.title": "Incident wall screen", "wall.title": "Incidents", "wall.today": "Reported today", "wall.open": "Open",
    "wall.kpis": "Key figures", "wall.reported": "Reported", "wall.closure": "Closure rate", "wall.on_time": "Closed on time", "wall.overdue": "Overdue cases", "wall.rework": "Rework rate", "wall.satisfied": "Satisfaction",
    "wall.trend": "Last 12 months", "wall.trend.what": "reported (bars) · closure rate (line)", "wall.latest": "Newest incidents", "wall.categories": "Top categories, 30 days",
    "wall.district": "District", "wall.data.until": "Data until {month}; none yet this month", "wall.waiting": "Waiting for the server…",
    "wall.no.change": "no previous month", "wall.pp": "points", "wall.vs.previous": "vs previous month",
    "wall.departments": "Departments", "wall.workers": "Workers", "wall.none.assigned": "No case assigned in the month",
    "wall.streets": "Streets", "wall.communities": "Communities", "wall.per1000": "incidents per 1,000 households", "wall.top.grids": "Busiest grids, 30 days",
    "wall.top.communities": "Busiest communities, 30 days", "wall.grid.name": "{community} grid {serial}", "wall.minutes.ago": "{n} min ago",
    "wall.hours.ago": "{n} h ago", "wall.days.ago": "{n} days ago", "wall.outside": "outside the district",
    "wall.days.1": "Today", "wall.days.7": "7 days", "wall.days.30": "30 days", "wall.days.365": "1 year",
    "wall.heat": "Incident heat", "wall.heat.until": "up to {date}", "wall.until": "(up to {date})", "wall.heat.linear": "Kernel density: one incident gives 1 at its spot, radius 200 m; the scale tops at the district's 99th percentile for this window", "wall.heat.log": "Kernel density (log scale): one incident gives 1 at its spot, radius 200 m", "wall.beijing": "Beijing time",
    "step.reported": "reported", "step.dispatched": "dispatched", "step.handled": "handled", "step.followed_up": "followed up", "step.closed": "closed",
    "code.title": "The last three digits of the grid code (community code + serial)", "grid.list": "Grids", renumber: "Renumber this community", "renumber.title": "Number this community's grids again north to south, west to east (other edits never change the code of a grid they leave alone)",
    "def.fill": "Fill = households ÷ the cap (200)", "def.compactness": "Polsby-Popper = 4π × area ÷ perimeter²; a circle is 1", "def.reock": "Reock = area ÷ the smallest enclosing circle's area; a circle is 1", "def.workers": "Grid workers: one per 100 households, rounded up",
    "def.share": "Coverage = households within walking reach of the category ÷ all households", "def.completeness": "Life-circle completeness = households within reach of every category of the circle ÷ all households",
    legend: "Legend", "legend.fill": "Grid fill", "legend.fill.unit": "% of the cap", "legend.grid": "Grid boundary (thick: selected)", "legend.changed": "Grids the last change touched",
    "legend.locked": "Locked grids", "legend.compare": "Grids of the version compared", "legend.selected": "Selected buildings",
    "legend.area": "Within {minutes} minutes' walk of a {category}", "legend.gaps": "Uncovered areas (households)", "legend.facilities": "{category}", "legend.siting": "Suggested sites (rank)",
    "legend.whatif": "Facilities added in the what-if", "legend.chosen": "Community or grid chosen in the table", gap: "Uncovered area",
    "kind.partition": "partition", "kind.edit": "edit", "kind.restore": "restore", "kind.undo": "undo",
    "undo.done": "Undone: the grids of version #{from} saved again as version #{plan}", "redo.done": "Redone: the grids of version #{from} saved again as version #{plan}",
    "warn.no_facility": "{category}: no facility in the district; coverage is not judged", "warn.out_of_reach": "{category}: every facility is out of the walking network's reach", "warn.off_network": "{category}: the facilities are off the walking network",
    "def.reported": "Reported: every incident reported this month, all sources", "def.closure": "Closure rate = closed ÷ filed (reported this month, counted at month end or now)",
    "def.on_time": "Closed on time = closed within the time limits (with extensions) ÷ closed", "def.overdue": "Overdue: filed, not closed, past the limit of the step they are in",
    "def.rework": "Rework rate = cases sent back after a follow-up visit ÷ closed", "def.satisfied": "Satisfaction = evaluated satisfied or basically satisfied ÷ evaluated closed cases",
  },
};

const params = new URLSearchParams(location.search);
export let lang = params.get("lang") || localStorage.getItem("wangge.lang") || "zh";
if (!TEXT[lang]) lang = "zh";

export function t(key) {
  return TEXT[lang][key] ?? TEXT.zh[key] ?? key;
}

/// A facility category's name in the current language (the code when unknown).
export function category(code) {
  const k = `cat.${code}`;
  return TEXT[lang][k] ?? code;
}

export function apply(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

export function setLang(l) {
  lang = TEXT[l] ? l : "zh";
  localStorage.setItem("wangge.lang", lang);
  apply();
}

/// Numbers grouped for the language.
export function num(n) {
  return n == null ? "–" : Number(n).toLocaleString(lang === "zh" ? "zh-CN" : "en-US");
}

// The server's reasons for refusing an edit or a partition, in Chinese, by their stable code
// (problem details `code`) with the named values (`params`); never by matching English text.
const REASONS = {
  "plan.over_cap": "网格 {grid} 将有 {households} 户，超过上限 {cap} 户",
  "plan.parts": "网格 {grid} 将被分成 {parts} 块，不连通",
  "plan.disconnected": "网格 {grid} 不连通",
  "edit.other_community": "网格 {a} 与 {b} 属于不同社区，网格不能跨社区",
  "edit.already_there": "楼栋 {building} 已在网格 {grid} 中",
  "edit.no_building": "方案中没有楼栋 {building} 的地址点",
  "edit.no_grid": "方案中没有网格 {grid}",
  "edit.no_community": "方案中没有社区 {community} 的网格",
  "edit.no_change": "修改不会改变任何网格，未保存新版本",
  "plan.invalid_polygon": "网格边界无效",
  "plan.sliver": "修改会留下狭长碎片",
  "plan.tiling": "网格之间将出现缝隙或重叠",
  "plan.overlap": "网格之间将出现重叠",
  "plan.not_placed": "有地址点未能归入任何网格",
  "plan.stale": "此版本已不是当前版本，请载入当前版本后再修改",
  out_of_scope: "涉及的网格不在您的管辖范围内",
  forbidden: "您的令牌无权进行此操作",
};

/// A refusal reason in the current language, from an error with `code` and `params`. In
/// Chinese, a code without a translation is named by its code (the server's English detail
/// goes to the console, not into a Chinese interface).
export function reason(err) {
  const detail = String((err && err.message) || err);
  if (lang !== "zh") return detail;
  const zh = err && err.code && REASONS[err.code];
  if (!zh) {
    console.info(`refused (${err && err.code}): ${detail}`);
    return `${TEXT.zh["refused.other"]}（${(err && (err.code || err.status)) || "?"}）`;
  }
  const params = err.params || {};
  return zh.replace(/\{(\w+)\}/g, (_, k) => (k in params ? params[k] : `{${k}}`));
}

"""Every string the app shows, in English and Simplified Chinese, in one place.

The language comes from `--lang`, else the locale (LC_ALL, LC_MESSAGES, LANG starting with `zh`),
else English: `rubrics.messages.detect_language`, shared with the core. The core's own sentences
(verdict reasons, conditions, kill-criteria notes) are message keys rendered by
`rubrics.messages`, not strings of these tables.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rubrics.messages import LANGUAGES, detect_language  # one locale rule for app and core

__all__ = ["LANGUAGES", "detect_language", "field_label", "field_help", "language", "localize",
           "set_language", "t"]
_current = "en"

EN: dict[str, str] = {
    # keys (footer, help screen, command palette)
    "key.help": "Help",
    "key.theme": "Theme",
    "key.quit": "Quit",
    "key.new": "New",
    "key.open": "Open",
    "key.review": "Review",
    "key.export": "Export",
    "key.filter": "Filter",
    "key.reload": "Reload",
    "key.next": "Next step",
    "key.back_step": "Previous step",
    "key.save_draft": "Save draft",
    "key.finish": "Finish",
    "key.leave": "Leave",
    "key.back": "Back",
    "key.tab_estimate": "Estimate",
    "key.tab_capability": "Capability",
    "key.tab_economics": "Economics",
    "key.tab_verdict": "Verdict",
    "key.sort": "Sort column",
    "key.accept": "Accept",
    "key.reject": "Reject",
    "key.close": "Close",
    "key.palette": "Command palette",
    # home
    "home.title": "Decisions",
    "home.loading": "Loading decisions…",
    "home.loading_n": "Reading decisions for the first time… {done} of {total}",
    "home.count": "{n} decisions, {bad} unreadable",
    "home.empty": "No decisions yet in {path}. Press n to scope a feature.",
    "home.filter": "Filter: title, verdict, status, flag…",
    "home.col.id": "Record",
    "home.col.title": "Title",
    "home.col.verdict": "Verdict",
    "home.col.status": "Status",
    "home.col.due": "Review due",
    "home.col.flags": "Flags / errors",
    "home.flag.overdue": "review overdue",
    "home.flag.error": "unreadable",
    "home.no_selection": "Select a decision first.",
    "home.unreadable": "This file cannot be read: {error}",
    # start dialog
    "start.title": "Start a new scoping",
    "start.example": "From the bundled example (support FAQ)",
    "start.blank": "Blank spec",
    "start.draft": "Resume draft: {title} ({file})",
    "start.untitled": "untitled",
    "start.cancel": "Cancel",
    "start.draft_error": "Unreadable draft {file}: {error}",
    "start.unreadable": "Draft {file} cannot be resumed: {error}",
    # wizard
    "wizard.title": "New scoping",
    "wizard.step": "Step {n}/{total}: {name}",
    "wizard.next": "Next",
    "wizard.back": "Back",
    "wizard.finish": "Finish",
    "wizard.draft_saved": "Draft saved: {path}",
    "wizard.has_errors": "Fix the marked fields first: {steps}",
    "wizard.draft_not_saved": ("Draft not saved: {error}. Your edits stay here until you leave; "
                               "to keep drafts, start scopecard with --workspace DIR on a "
                               "writable folder."),
    "wizard.spec_not_saved": ("Spec not saved: {error}. Start scopecard with --workspace DIR on "
                              "a writable folder to finish."),
    "wizard.help_hint": "Tab moves between fields; Ctrl+N / Ctrl+B change step; F1 lists all keys.",
    "range.low": "low",
    "range.likely": "likely",
    "range.high": "high",
    "wizard.no_file": "no such file",
    "wizard.tokens": "tokens",
    "wizard.counting": "counting…",
    "wizard.models_filter": "Filter models…",
    "wizard.models_loading": "Loading the price catalogue…",
    "wizard.models_chosen": "{n} chosen",
    "wizard.text_replaces": "text given: the token count comes from it",
    "wizard.item.candidates": "Candidate {n}",
    "wizard.item.kill_criteria": "Kill criterion {n}",
    "wizard.add.kill_criteria": "Add a kill criterion",
    "wizard.remove": "Remove",
    "wizard.yes": "Yes",
    "wizard.no": "No",
    "step.need": "Need",
    "step.alternatives": "Alternatives",
    "step.load": "Load",
    "step.prompt": "Prompt",
    "step.value": "Value",
    "step.costs": "Costs",
    "step.quality": "Quality",
    "step.constraints": "Constraints",
    "step.candidates": "Candidates",
    "step.commit": "Commit",
    "intro.need": "What problem, for whom, and how success is measured.",
    "intro.alternatives": "What plain logic or retrieval could do instead (compared against AI).",
    "intro.load": "How much traffic: numbers may be ranges (low · likely · high).",
    "intro.prompt": "Tokens per call. Paste prompt text to count it exactly.",
    "intro.value": "What a success is worth and what a failure costs.",
    "intro.costs": "Build and running costs besides the model.",
    "intro.quality": "The bar a model must clear on the graded cases.",
    "intro.constraints": "Hard limits: residency, latency, delivery route.",
    "intro.candidates": ("Models to compare (space toggles, type to filter); below, each one's "
                         "tier and own price."),
    "intro.commit": "The return you need, when to look again and when to stop.",
    # results
    "results.title": "Results",
    "results.deciding": "Deciding…",
    "results.counting": "Counting tokens: {label}",
    "results.failed": "Could not decide: {error}",
    "results.malformed": "malformed record ({error}); check it with scopecard show",
    "results.load": "Load: {tasks} tasks/month, {calls} calls/month; {avg} QPS average, "
                    "{peak} QPS peak",
    "results.load_start": "Load in month 0: {tasks} tasks/month, {calls} calls/month; {avg} QPS "
                          "average, {peak} QPS peak",
    "results.legend": "Amounts in {cur}. Tokens: = exact, ~ estimated, · given in the spec; =· "
                      "means some parts exact, some given. s sorts by the cursor's column.",
    "results.col.model": "Model",
    "results.col.tokens": "Tokens in/out",
    "results.col.per_call": "Per call",
    "results.col.monthly": "Per month",
    "results.col.monthly_start": "Per month (month 0)",
    "results.col.peak": "Peak QPS / limit",
    "results.col.currency": "Cur.",
    "results.col.basis": "Count",
    "results.col.tier": "Tier",
    "results.col.kn": "k/n",
    "results.col.interval": "Interval",
    "results.col.bar": "Bar",
    "results.col.status": "Status",
    "results.col.needed": "More cases",
    "results.col.errors": "Errors",
    "results.needed.on_bar": "none: rate = bar",
    "results.needed.beyond": "over {max}",
    "results.col.nmb": "NMB P10 / P50 / P90",
    "results.col.roi": "ROI P50",
    "results.col.ppos": "P(NMB>0)",
    "results.col.breakeven": "Break-even tasks",
    "results.col.payback": "Payback (months)",
    "results.excluded": "excluded",
    "results.basis.exact": "exact",
    "results.basis.estimated": "estimated",
    "results.basis.given": "given",
    "results.capability_head": "Suite '{suite}', bar {bar}, confidence {conf}. Overall and per "
                               "difficulty tier (Wilson interval).",
    "results.overall": "overall",
    "results.economics_head": "Monthly, {cur}; P10 / P50 / P90 over {draws} draws (seed {seed}). "
                              "Pick a row to plot it.",
    "results.economics_head_average": "Monthly (average over the {months}-month amortization "
                                      "period), {cur}; P10 / P50 / P90 over {draws} draws (seed "
                                      "{seed}). Pick a row to plot it.",
    "results.plot_title": "Cost and value against volume: {model}",
    "results.plot_cost": "monthly cost",
    "results.plot_value": "monthly value",
    "results.plot_now": "now",
    "results.plot_breakeven": "break-even",
    "results.plot_x": "tasks / month",
    "results.tornado_title": "What swings the result most (NMB, input low .. high): {model}",
    "results.alternatives": "Alternatives",
    "results.verdict": "Verdict",
    "results.chosen": "chosen: {model}",
    "results.reasons": "Reasons",
    "results.conditions": "Conditions",
    "results.spike": "Research spike",
    "results.drivers": "Top drivers",
    "results.thresholds": "Thresholds",
    "results.thresholds_text": "bar {bar}, confidence {conf}, target ROI {roi}; GO needs "
                               "{q} ROI >= target and P(NMB>0) >= {ppos}; margin of safety >= "
                               "{margin}",
    "results.kills": "Kill criteria",
    "results.kill.metric": "Metric",
    "results.kill.rule": "Rule",
    "results.kill.window": "Window",
    "results.kill.deadline": "Review by",
    "results.kill.action": "Action",
    "results.kill.note": "Why",
    "results.status_set": "Status set to {status}: {path}",
    "results.exported": "Exported to {path}",
    # review
    "review.title": "Review",
    "review.recorded": "As recorded",
    "review.now": "Recomputed",
    "review.flags": "Flags",
    "review.no_flags": "No flags.",
    "review.working": "Recomputing…",
    "review.appended": "Review entry appended to {path}",
    "flag.review_due": "The review date has passed: look at the decision again.",
    "flag.price_moved": "A price this decision used has moved by more than the threshold.",
    "flag.cheaper_model": "A model that now meets the bar would be cheaper.",
    "flag.kill_criterion": "A kill criterion is met by the actuals: take its action.",
    "flag.engine_changed": "The engine no longer reproduces the recorded result.",
    "flag.edited": "The record was edited after it was accepted.",
    "review.actuals": "Actuals, e.g. monthly_spend=1234 pass_rate=0.93 (Enter recomputes)",
    "review.reproduction": "Original inputs",
    "review.today": "Today's prices",
    "review.verdict_today": "verdict with today's prices: {verdict}",
    "review.evals": "Newest evals",
    "review.cheaper": "cheaper and MEETS: {model} ({k}/{n}) at {cost} per call",
    "review.kills": "Kill criteria against actuals",
    "review.no_actual": "no actual given",
    "review.met": "MET",
    "review.not_met": "not met",
    "key.save_review": "Save review",
    # dialogs
    "export.title": "Export {id}",
    "export.md": "Markdown (.md) for a PR or a doc",
    "export.json": "JSON (.json) for other tools",
    "export.business": "Business brief (.md): ROI, costs, people and time, kill criteria",
    "export.vendor": "Vendor brief (.md): capacity and quality bar, no business secrets",
    "confirm.yes": "Yes",
    "confirm.no": "No",
    "confirm.accept": "Accept {id}? An accepted record's inputs and outputs never change.",
    "confirm.reject": "Reject {id}?",
    # help
    "help.title": "Keys",
    "help.intro": "Everything is also in the command palette (Ctrl+P). The mouse works too.",
    "help.screen": "This screen",
    "help.global": "Everywhere",
    # verdict words stay as the core writes them; statuses likewise
}

ZH: dict[str, str] = {
    "key.help": "帮助",
    "key.theme": "主题",
    "key.quit": "退出",
    "key.new": "新建",
    "key.open": "打开",
    "key.review": "复核",
    "key.export": "导出",
    "key.filter": "筛选",
    "key.reload": "刷新",
    "key.next": "下一步",
    "key.back_step": "上一步",
    "key.save_draft": "保存草稿",
    "key.finish": "完成",
    "key.leave": "离开",
    "key.back": "返回",
    "key.tab_estimate": "估算",
    "key.tab_capability": "能力",
    "key.tab_economics": "经济性",
    "key.tab_verdict": "结论",
    "key.sort": "按列排序",
    "key.accept": "接受",
    "key.reject": "拒绝",
    "key.close": "关闭",
    "key.palette": "命令面板",
    "home.title": "决策记录",
    "home.loading": "正在加载决策记录…",
    "home.loading_n": "首次读取决策记录… {done} / {total}",
    "home.count": "共 {n} 条决策，{bad} 条无法读取",
    "home.empty": "{path} 中还没有决策。按 n 开始评估一个功能。",
    "home.filter": "筛选：标题、结论、状态、标记…",
    "home.col.id": "记录",
    "home.col.title": "标题",
    "home.col.verdict": "结论",
    "home.col.status": "状态",
    "home.col.due": "复核日期",
    "home.col.flags": "标记 / 错误",
    "home.flag.overdue": "复核已逾期",
    "home.flag.error": "无法读取",
    "home.no_selection": "请先选择一条决策。",
    "home.unreadable": "此文件无法读取：{error}",
    "start.title": "开始新的评估",
    "start.example": "使用内置示例（客服 FAQ）",
    "start.blank": "空白需求",
    "start.draft": "继续草稿：{title}（{file}）",
    "start.untitled": "未命名",
    "start.cancel": "取消",
    "start.draft_error": "无法读取的草稿 {file}：{error}",
    "start.unreadable": "草稿 {file} 无法继续：{error}",
    "wizard.title": "新的评估",
    "wizard.step": "第 {n}/{total} 步：{name}",
    "wizard.next": "下一步",
    "wizard.back": "上一步",
    "wizard.finish": "完成",
    "wizard.draft_saved": "草稿已保存：{path}",
    "wizard.has_errors": "请先修正标出的字段：{steps}",
    "wizard.draft_not_saved": ("草稿未保存：{error}。离开前编辑内容仍保留在此；如需保存草稿，"
                               "请用 --workspace DIR 指定可写的文件夹启动 scopecard。"),
    "wizard.spec_not_saved": ("需求未保存：{error}。请用 --workspace DIR 指定可写的文件夹"
                              "启动 scopecard 后再完成。"),
    "wizard.help_hint": "Tab 在字段间移动；Ctrl+N / Ctrl+B 切换步骤；F1 列出所有按键。",
    "range.low": "最低",
    "range.likely": "最可能",
    "range.high": "最高",
    "wizard.no_file": "文件不存在",
    "wizard.tokens": "个 token",
    "wizard.counting": "计数中…",
    "wizard.models_filter": "筛选模型…",
    "wizard.models_loading": "正在加载价格目录…",
    "wizard.models_chosen": "已选 {n} 个",
    "wizard.text_replaces": "已填写文本：token 数由文本计算",
    "wizard.item.candidates": "候选模型 {n}",
    "wizard.item.kill_criteria": "止损标准 {n}",
    "wizard.add.kill_criteria": "添加止损标准",
    "wizard.remove": "删除",
    "wizard.yes": "是",
    "wizard.no": "否",
    "step.need": "需求",
    "step.alternatives": "替代方案",
    "step.load": "负载",
    "step.prompt": "提示词",
    "step.value": "价值",
    "step.costs": "成本",
    "step.quality": "质量",
    "step.constraints": "约束",
    "step.candidates": "候选模型",
    "step.commit": "承诺",
    "intro.need": "要解决什么问题、为谁解决、如何衡量成功。",
    "intro.alternatives": "普通规则或检索能替代多少（与 AI 对比）。",
    "intro.load": "流量有多大：数值可以是区间（最低 · 最可能 · 最高）。",
    "intro.prompt": "每次调用的 token 数。粘贴提示词文本即可精确计数。",
    "intro.value": "一次成功值多少钱，一次失败损失多少。",
    "intro.costs": "模型之外的建设和运行成本。",
    "intro.quality": "模型在分级测试用例上必须达到的标准。",
    "intro.constraints": "硬性限制：数据驻留、延迟、交付路线。",
    "intro.candidates": "要比较的模型（空格切换选择，输入以筛选）；下方可填每个模型的等级和自定价格。",
    "intro.commit": "需要的回报、何时再复核、何时止损。",
    "results.title": "结果",
    "results.deciding": "正在决策…",
    "results.counting": "正在计数 token：{label}",
    "results.failed": "无法得出结论：{error}",
    "results.malformed": "记录格式有误（{error}）；请用 scopecard show 检查",
    "results.load": "负载：每月 {tasks} 个任务，{calls} 次调用；平均 {avg} QPS，峰值 {peak} QPS",
    "results.load_start": "第 0 月负载：每月 {tasks} 个任务，{calls} 次调用；平均 {avg} QPS，峰值 "
                          "{peak} QPS",
    "results.legend": "金额单位 {cur}。Token：= 精确，~ 估计，· 需求中给定；"
                      "=· 表示部分精确、部分给定。s 按光标所在列排序。",
    "results.col.model": "模型",
    "results.col.tokens": "输入/输出 token",
    "results.col.per_call": "每次调用",
    "results.col.monthly": "每月",
    "results.col.monthly_start": "每月（第 0 月）",
    "results.col.peak": "峰值 QPS / 限额",
    "results.col.currency": "币种",
    "results.col.basis": "计数",
    "results.col.tier": "难度",
    "results.col.kn": "k/n",
    "results.col.interval": "区间",
    "results.col.bar": "标准",
    "results.col.status": "状态",
    "results.col.needed": "还需用例",
    "results.col.errors": "错误",
    "results.needed.on_bar": "无：通过率等于标准",
    "results.needed.beyond": "超过 {max}",
    "results.col.nmb": "月净收益 P10 / P50 / P90",
    "results.col.roi": "ROI P50",
    "results.col.ppos": "P(净收益>0)",
    "results.col.breakeven": "盈亏平衡任务数",
    "results.col.payback": "回本（月）",
    "results.excluded": "已排除",
    "results.basis.exact": "精确",
    "results.basis.estimated": "估计",
    "results.basis.given": "给定",
    "results.capability_head": "用例集 '{suite}'，标准 {bar}，置信度 {conf}。总体及各难度"
                               "（Wilson 区间）。",
    "results.overall": "总体",
    "results.economics_head": "每月，{cur}；P10 / P50 / P90，{draws} 次抽样（种子 {seed}）。"
                              "选择一行以绘图。",
    "results.economics_head_average": "每月（{months} 个月摊销期内的平均值），{cur}；P10 / P50 / "
                                      "P90，{draws} 次抽样（种子 {seed}）。选择一行以绘图。",
    "results.plot_title": "成本与价值随业务量变化：{model}",
    "results.plot_cost": "月成本",
    "results.plot_value": "月价值",
    "results.plot_now": "当前",
    "results.plot_breakeven": "盈亏平衡",
    "results.plot_x": "任务数 / 月",
    "results.tornado_title": "对结果影响最大的输入（净收益，输入低 .. 高）：{model}",
    "results.alternatives": "替代方案",
    "results.verdict": "结论",
    "results.chosen": "选定：{model}",
    "results.reasons": "理由",
    "results.conditions": "条件",
    "results.spike": "研究探查",
    "results.drivers": "主要驱动因素",
    "results.thresholds": "阈值",
    "results.thresholds_text": "标准 {bar}，置信度 {conf}，目标 ROI {roi}；GO 需要 {q} ROI >= "
                               "目标且 P(净收益>0) >= {ppos}；安全边际 >= {margin}",
    "results.kills": "止损标准",
    "results.kill.metric": "指标",
    "results.kill.rule": "规则",
    "results.kill.window": "窗口",
    "results.kill.deadline": "复核截止",
    "results.kill.action": "动作",
    "results.kill.note": "原因",
    "results.status_set": "状态已设为 {status}：{path}",
    "results.exported": "已导出到 {path}",
    "review.title": "复核",
    "review.recorded": "记录中的结果",
    "review.now": "重新计算",
    "review.flags": "标记",
    "review.no_flags": "没有标记。",
    "review.working": "正在重新计算…",
    "review.appended": "复核记录已追加到 {path}",
    "flag.review_due": "复核日期已过：请重新审视这个决策。",
    "flag.price_moved": "该决策使用的价格变动超过了阈值。",
    "flag.cheaper_model": "现在有达标且更便宜的模型。",
    "flag.kill_criterion": "实际数据触发了止损标准：请执行相应动作。",
    "flag.engine_changed": "计算引擎已无法复现记录中的结果。",
    "flag.edited": "记录在被接受之后遭到修改。",
    "review.actuals": "实际数据，例如 monthly_spend=1234 pass_rate=0.93（回车重新计算）",
    "review.reproduction": "原始输入",
    "review.today": "今日价格",
    "review.verdict_today": "按今日价格的结论：{verdict}",
    "review.evals": "最新评测",
    "review.cheaper": "更便宜且达标：{model}（{k}/{n}），每次调用 {cost}",
    "review.kills": "止损标准与实际数据对照",
    "review.no_actual": "未提供实际数据",
    "review.met": "已触发",
    "review.not_met": "未触发",
    "key.save_review": "保存复核",
    "export.title": "导出 {id}",
    "export.md": "Markdown（.md），用于 PR 或文档",
    "export.json": "JSON（.json），供其他工具使用",
    "export.business": "业务简报（.md）：ROI、成本、人力与时间、止损条件",
    "export.vendor": "供应商简报（.md）：容量与质量要求，不含业务机密",
    "confirm.yes": "是",
    "confirm.no": "否",
    "confirm.accept": "接受 {id}？接受后记录的输入和输出不再改变。",
    "confirm.reject": "拒绝 {id}？",
    "help.title": "按键",
    "help.intro": "所有操作也都在命令面板中（Ctrl+P）。也可以使用鼠标。",
    "help.screen": "当前界面",
    "help.global": "全局",
}

TABLES = {"en": EN, "zh": ZH}


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGUAGES)}")
    _current = lang


def language() -> str:
    return _current


def t(key: str, **values: Any) -> str:
    """The string `key` in the current language (English where a translation is missing)."""
    text = TABLES[_current].get(key) or EN.get(key, key)
    return text.format(**values) if values else text


def field_label(path: str) -> str:
    """A spec field's label (declared in rubrics.spec_fields), in the current language."""
    from rubrics.spec_fields import label

    return label(path, _current)


def field_help(path: str) -> str:
    """A spec field's help (declared in rubrics.spec_fields), in the current language."""
    from rubrics.spec_fields import find

    found = find(path)
    return found.help(_current) if found is not None else ""


def localize(node: Any) -> None:
    """Translate a Textual node's binding descriptions (given as string keys) in place.

    Class-level BINDINGS are built once at import, before the language is known; each node gets
    its own copy of them at construction (`node._bindings`), so translating that copy lets apps
    in different languages live in one process (as they do in the tests).
    """
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=t(b.description)) if b.description in EN else b
            for b in bindings]

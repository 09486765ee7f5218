"""Every spec field, declared once: its wizard step, control kind, label and help (en, zh), unit.

The wizard's steps, its labels and help, the driver labels of the verdict and the Monte Carlo's
uncertain inputs are all derived from `FIELDS`; the allowed range and the choices of a field are
read from the pydantic models in `rubrics.spec` (never typed twice). Paths are dotted spec paths;
`*` stands for any item of a list (`kill_criteria.*.metric`), and `_wizard.` paths are the
wizard's own settings kept in its draft.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, WithJsonSchema
from pydantic.fields import FieldInfo

from estimators.bounds import Bounds

Kind = Literal["text", "choice", "bool", "num", "int", "float", "list", "prompt", "models"]
LANGS = ("en", "zh")
# the sections whose numbers the Monte Carlo draws; the alternatives are compared at their likely
# values (rubrics.alternatives), so their numbers are not uncertain inputs of the economics
DRAWN_STEPS = ("load", "prompt", "value", "costs")


@dataclass(frozen=True)
class SpecField:
    """One field: where the wizard shows it, how it is edited and what people call it."""

    path: str
    step: str
    kind: Kind
    label_en: str
    help_en: str
    label_zh: str
    help_zh: str
    unit: str = ""  # a key of UNITS, said after the allowed range
    replaces: str | None = None  # a prompt text replaces this *_tokens field when given

    def label(self, lang: str = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def help(self, lang: str = "en") -> str:
        return self.help_zh if lang == "zh" else self.help_en


UNITS: dict[str, tuple[str, str]] = {  # unit key -> (en, zh) words after a number
    "tokens": ("tokens", "（单位：token）"),
    "ms": ("ms", "（单位：毫秒）"),
    "days": ("days", "（单位：天）"),
    "months": ("months", "（单位：月）"),
    "money": ("in the spec's currency", "（需求币种）"),
    "per1m": ("per 1M tokens", "（每百万 token）"),
    "share": ("(a share: 0.25 = 25%)", "（比例：0.25 = 25%）"),
}


def _d(path: str, step: str, kind: Kind, en: tuple[str, str], zh: tuple[str, str],
       unit: str = "", replaces: str | None = None) -> SpecField:
    return SpecField(path, step, kind, en[0], en[1], zh[0], zh[1], unit, replaces)


FIELDS: tuple[SpecField, ...] = (
    # need (title, scenario and currency live at the top of the spec)
    _d("title", "need", "text", ("Title", "A short name for the feature; it names the record "
                                          "file."),
       ("标题", "功能的简短名称，也用作记录文件名。")),
    _d("scenario", "need", "choice",
       ("Scenario", "Preset for the quality bar, confidence and mandatory human review; a "
                    "companion chat tolerates errors a medical answer does not."),
       ("场景", "决定质量标准、置信度和是否必须人工复核的预设；陪伴聊天能容忍的错误，医疗回答不能。")),
    _d("currency", "need", "text", ("Currency", "Reporting currency, three letters (USD, CNY, "
                                                "EUR)."),
       ("币种", "报告币种，三个字母（USD、CNY、EUR）。")),
    _d("output.lang", "need", "choice",
       ("Result language", "Language of the verdict and reasons when no --lang is given; empty "
                           "= the locale's."),
       ("结果语言", "未指定 --lang 时结论和理由使用的语言；留空 = 跟随系统区域设置。")),
    _d("need.problem", "need", "text", ("Problem", "What people struggle with today, in their "
                                                   "words."),
       ("问题", "人们今天遇到的困难，用他们自己的话说。")),
    _d("need.users", "need", "text", ("Users", "Who uses the feature, and where."),
       ("用户", "谁在什么地方使用这个功能。")),
    _d("need.success_metric", "need", "text",
       ("Success metric", "The measurable outcome that says it works."),
       ("成功指标", "说明功能有效的可衡量结果。")),
    _d("need.confidential", "need", "bool",
       ("Need is confidential", "Yes keeps the problem, users and metric out of vendor briefs."),
       ("需求保密", "是：问题、用户和指标不写入供应商简报。")),
    # alternatives
    _d("alternatives.rules_coverage", "alternatives", "num",
       ("Rules coverage", "Share of tasks plain logic handles (0-1 or 25%)."),
       ("规则覆盖率", "普通逻辑能处理的任务比例（0-1 或 25%）。"), "share"),
    _d("alternatives.rules_one_time", "alternatives", "num",
       ("Rules build cost", "One-time cost of building the rules."),
       ("规则建设成本", "编写规则的一次性成本。"), "money"),
    _d("alternatives.rules_monthly", "alternatives", "num",
       ("Rules monthly cost", "Monthly upkeep of the rules."), ("规则月成本", "规则的每月维护成本。"),
       "money"),
    _d("alternatives.embedding_model", "alternatives", "text",
       ("Embedding model", "vendor/model for a retrieval-only alternative; leave empty for "
                           "none."),
       ("向量模型", "仅检索方案使用的 厂商/模型；留空表示不考虑。")),
    _d("alternatives.embedding_coverage", "alternatives", "num",
       ("Embedding coverage", "Share of tasks retrieval alone answers."),
       ("检索覆盖率", "仅靠检索能回答的任务比例。"), "share"),
    # load
    _d("load.daily_active_users", "load", "num",
       ("Daily active users", "People who use the feature on a day."),
       ("日活用户", "每天使用该功能的人数。")),
    _d("load.tasks_per_user_per_day", "load", "num",
       ("Tasks per user per day", "How often each of them needs it."),
       ("每人每天任务数", "每个人每天需要它的次数。")),
    _d("load.days_per_month", "load", "int", ("Days per month", "Active days in a month (1-31)."),
       ("每月天数", "每月活跃天数（1-31）。"), "days"),
    _d("load.calls_per_task", "load", "num",
       ("Calls per task", "Model requests per task; agents make several."),
       ("每任务调用数", "每个任务的模型请求数；智能体会调用多次。")),
    _d("load.retry_rate", "load", "num",
       ("Retry rate", "Share of calls repeated after a failure (0-1)."),
       ("重试率", "失败后重发的调用比例（0-1）。"), "share"),
    _d("load.peak_factor", "load", "num",
       ("Peak factor", "Peak hour rate / average rate; at least 1."),
       ("峰值系数", "高峰小时速率 / 平均速率；至少为 1。")),
    _d("load.monthly_growth", "load", "num",
       ("Monthly growth", "Traffic growth per month (0.05 = 5%)."),
       ("月增长率", "每月流量增长（0.05 = 5%）。")),
    # prompt
    _d("prompt.system_text", "prompt", "prompt",
       ("System prompt text", "Paste the system prompt to count it exactly; leave empty to "
                              "give a number below."),
       ("系统提示词文本", "粘贴系统提示词以精确计数；留空则在下面填写数值。"),
       replaces="prompt.system_tokens"),
    _d("prompt.system_tokens", "prompt", "num",
       ("System tokens", "System prompt size in tokens."), ("系统 token", "系统提示词的 token 数。"),
       "tokens"),
    _d("prompt.user_text", "prompt", "prompt",
       ("User message text", "A typical user message, counted exactly."),
       ("用户消息文本", "一条典型的用户消息，精确计数。"), replaces="prompt.user_tokens"),
    _d("prompt.user_tokens", "prompt", "num",
       ("User tokens", "Typical user message size in tokens."),
       ("用户 token", "典型用户消息的 token 数。"), "tokens"),
    _d("prompt.context_text", "prompt", "prompt",
       ("Context text", "Typical retrieved documents of one call, counted exactly."),
       ("上下文文本", "一次调用典型的检索文档，精确计数。"), replaces="prompt.context_tokens"),
    _d("prompt.context_tokens", "prompt", "num",
       ("Context tokens", "Retrieved documents per call (RAG)."),
       ("上下文 token", "每次调用检索到的文档（RAG）。"), "tokens"),
    _d("prompt.output_text", "prompt", "prompt",
       ("Output text", "A typical answer, counted exactly."),
       ("输出文本", "一条典型的回答，精确计数。"), replaces="prompt.output_tokens"),
    _d("prompt.output_tokens", "prompt", "num",
       ("Output tokens", "Answer length per call."), ("输出 token", "每次调用的回答长度。"),
       "tokens"),
    _d("prompt.reasoning_tokens", "prompt", "num",
       ("Reasoning tokens", "Hidden thinking tokens, billed as output."),
       ("推理 token", "隐藏的思考 token，按输出计费。"), "tokens"),
    _d("prompt.turns", "prompt", "int",
       ("Turns", "Turns per conversation; history is re-sent each turn."),
       ("轮数", "每次对话的轮数；每轮都会重发历史。")),
    _d("prompt.cache_hit_rate", "prompt", "num",
       ("Cache hit rate", "Share of input served from the prompt cache."),
       ("缓存命中率", "由提示词缓存提供的输入比例。"), "share"),
    _d("prompt.batch_share", "prompt", "num",
       ("Batch share", "Share of calls that can wait for batch pricing."),
       ("批处理比例", "可以等待批处理价格的调用比例。"), "share"),
    _d("prompt.off_peak_share", "prompt", "num",
       ("Off-peak share", "Share of calls that can run at the vendor's off-peak price."),
       ("非高峰比例", "可以按厂商非高峰价格运行的调用比例。"), "share"),
    _d("prompt.language", "prompt", "choice",
       ("Language", "Picks the tokens-per-character calibration."),
       ("语言", "选择每字符 token 数的校准系数。")),
    _d("prompt.confidential", "prompt", "bool",
       ("Prompts are confidential", "Yes keeps prompt texts out of vendor briefs."),
       ("提示词保密", "是：提示词文本不写入供应商简报。")),
    # value
    _d("value.value_per_success", "value", "num",
       ("Value per success", "What one successful task is worth (time saved, revenue)."),
       ("每次成功的价值", "一次成功任务的价值（节省的时间、收入）。"), "money"),
    _d("value.escape_rate", "value", "num",
       ("Escape rate", "Share of failures that reach the user unnoticed."),
       ("逃逸率", "未被发现而到达用户的失败比例。"), "share"),
    _d("value.loss_per_escape", "value", "num", ("Loss per escape", "Cost of one escaped error."),
       ("每次逃逸损失", "一次逃逸错误的成本。"), "money"),
    _d("value.review_share", "value", "num",
       ("Review share", "Share of outputs a person reviews."), ("复核比例", "由人复核的输出比例。"),
       "share"),
    _d("value.review_cost", "value", "num", ("Review cost", "Cost of one review."),
       ("复核成本", "一次复核的成本。"), "money"),
    _d("value.fallback_cost", "value", "num",
       ("Fallback cost", "Cost of handling a failure another way."),
       ("兜底成本", "用其他方式处理一次失败的成本。"), "money"),
    _d("value.realization", "value", "num",
       ("Realization", "Share of the theoretical value actually captured."),
       ("实现率", "实际获得的理论价值比例。"), "share"),
    # costs
    _d("costs.one_time", "costs", "num", ("One-time cost", "Build, data and evaluation."),
       ("一次性成本", "建设、数据和评测。"), "money"),
    _d("costs.monthly_fixed", "costs", "num",
       ("Monthly fixed cost", "Hosting, monitoring, eval upkeep."),
       ("每月固定成本", "托管、监控、评测维护。"), "money"),
    _d("costs.amortize_months", "costs", "int",
       ("Amortize over (months)", "Months the one-time cost is spread over."),
       ("摊销月数", "一次性成本分摊的月数。"), "months"),
    _d("costs.route_one_time", "costs", "num",
       ("Route one-time cost", "Extra build cost of the delivery route; empty = the route "
                               "preset's default."),
       ("路线一次性成本", "交付路线的额外建设成本；留空 = 路线预设。"), "money"),
    _d("costs.route_monthly", "costs", "num",
       ("Route monthly cost", "Extra monthly cost of the route; empty = preset."),
       ("路线月成本", "路线的额外月成本；留空 = 预设。"), "money"),
    # quality
    _d("quality.suite", "quality", "text",
       ("Case suite", "Name of the graded case suite in the eval results."),
       ("用例集", "评测结果中分级用例集的名称。")),
    _d("quality.bar", "quality", "float",
       ("Bar", "Required pass rate (0-1); empty = the scenario preset's."),
       ("标准", "要求的通过率（0-1）；留空 = 场景预设。"), "share"),
    _d("quality.confidence", "quality", "float",
       ("Confidence", "Confidence of the interval (0.5-0.999); empty = preset."),
       ("置信度", "区间的置信度（0.5-0.999）；留空 = 预设。")),
    _d("quality.difficulty_bars.easy", "quality", "float",
       ("Bar: easy", "Own bar for easy cases (optional)."), ("标准：简单", "简单用例的单独标准（可选）。"),
       "share"),
    _d("quality.difficulty_bars.medium", "quality", "float",
       ("Bar: medium", "Own bar for medium cases (optional)."),
       ("标准：中等", "中等用例的单独标准（可选）。"), "share"),
    _d("quality.difficulty_bars.hard", "quality", "float",
       ("Bar: hard", "Own bar for hard cases (optional)."), ("标准：困难", "困难用例的单独标准（可选）。"),
       "share"),
    _d("quality.interval", "quality", "choice",
       ("Interval method", "Wilson (default) or the more cautious Clopper-Pearson."),
       ("区间方法", "Wilson（默认）或更保守的 Clopper-Pearson。")),
    _d("_wizard.evals_csv", "quality", "text",
       ("Eval results (CSV)", "Native results CSV (case_id,suite,model,...), imported into the "
                              "workspace's eval store; empty = the store's results only."),
       ("评测结果（CSV）", "原生结果 CSV（case_id,suite,model,...），会导入工作区的评测库；"
                         "留空 = 只用评测库中已有的结果。")),
    # constraints
    _d("constraints.route", "constraints", "choice",
       ("Route", "prompt → rag → finetune → train; training is research with no ship date."),
       ("路线", "prompt → rag → finetune → train；训练属于研究，没有上线日期。")),
    _d("constraints.data_residency", "constraints", "list",
       ("Data residency", "Regions vendors must serve from, comma separated (CN, EU)."),
       ("数据驻留", "厂商必须在这些地区提供服务，逗号分隔（CN, EU）。")),
    _d("constraints.max_p95_latency_ms", "constraints", "float",
       ("Max p95 latency (ms)", "Slowest acceptable p95 response time."),
       ("最大 p95 延迟（毫秒）", "可接受的最慢 p95 响应时间。"), "ms"),
    _d("constraints.compliance", "constraints", "list",
       ("Compliance", "Certifications required, comma separated."), ("合规", "要求的认证，逗号分隔。")),
    _d("constraints.data_retention", "constraints", "text",
       ("Data retention", "What vendors may keep, e.g. \"no retention\", \"30 days\"; shown "
                          "to vendors."),
       ("数据保留", "厂商可以保留什么，例如“不保留”“30 天”；会告知供应商。")),
    # candidates: the picker chooses the models, then each has its own tier and price
    _d("candidates", "candidates", "models",
       ("Models", "Best quality first, then cheaper ones, all on the same cases."),
       ("模型", "先用最好的模型，再试更便宜的，都用同一批用例。")),
    _d("candidates.*.rate_limit_tier", "candidates", "text",
       ("Rate-limit tier", "The vendor's tier this account has (as `prices show` names it); "
                           "empty = the lowest."),
       ("限流等级", "该账号在厂商处的等级（与 prices show 中的名称一致）；留空 = 最低等级。")),
    _d("candidates.*.price.input", "candidates", "float",
       ("Own price: input", "Negotiated or self-hosted price of input; empty = catalogue "
                            "price."),
       ("自定价格：输入", "协商或自托管的输入价格；留空 = 目录价格。"), "per1m"),
    _d("candidates.*.price.output", "candidates", "float",
       ("Own price: output", "Price of output tokens (needed with an input price)."),
       ("自定价格：输出", "输出 token 的价格（填写输入价格时必填）。"), "per1m"),
    _d("candidates.*.price.currency", "candidates", "text",
       ("Own price: currency", "Currency of the own price, three letters; empty = USD."),
       ("自定价格：币种", "自定价格的币种，三个字母；留空 = USD。")),
    _d("candidates.*.price.cache_read", "candidates", "float",
       ("Own price: cache read", "Price of cached input (optional)."),
       ("自定价格：缓存读取", "缓存输入的价格（可选）。"), "per1m"),
    _d("candidates.*.price.cache_write", "candidates", "float",
       ("Own price: cache write", "Price of writing the cache (optional)."),
       ("自定价格：缓存写入", "写入缓存的价格（可选）。"), "per1m"),
    _d("candidates.*.price.request_fee", "candidates", "float",
       ("Own price: per request", "Fee per request, besides tokens (optional)."),
       ("自定价格：每次请求", "按请求收取的费用，token 之外（可选）。")),
    _d("candidates.*.price.context_window", "candidates", "int",
       ("Own price: context", "Context window in tokens (optional)."),
       ("自定价格：上下文", "上下文窗口的 token 数（可选）。"), "tokens"),
    _d("candidates.*.price.regions", "candidates", "list",
       ("Own price: regions", "Regions it is served from, comma separated (optional)."),
       ("自定价格：地区", "提供服务的地区，逗号分隔（可选）。")),
    _d("candidates.*.price.tokenizer", "candidates", "text",
       ("Own price: tokenizer", "Tokenizer family (optional; as `prices show` names them)."),
       ("自定价格：分词器", "分词器系列（可选；与 prices show 中的名称一致）。")),
    _d("candidates.*.price.source", "candidates", "text",
       ("Own price: source", "Where the price comes from (a contract, an invoice)."),
       ("自定价格：来源", "价格的来源（合同、发票）。")),
    # commit
    _d("commit.target_roi", "commit", "float",
       ("Target ROI", "Required return on total cost (0.5 = 50%)."),
       ("目标 ROI", "总成本的要求回报（0.5 = 50%）。")),
    _d("commit.max_monthly_spend", "commit", "float",
       ("Max monthly spend", "Cap on AI spend per month (optional)."),
       ("每月最高支出", "每月 AI 支出上限（可选）。"), "money"),
    _d("commit.review_after_days", "commit", "int",
       ("Review after (days)", "When to look at this decision again."),
       ("复核间隔（天）", "多少天后再看这个决策。"), "days"),
    _d("kill_criteria.*.metric", "commit", "choice",
       ("Kill: metric", "What is measured in production."), ("止损：指标", "在生产中衡量的指标。")),
    _d("kill_criteria.*.comparator", "commit", "choice",
       ("Kill: comparator", "When the metric crosses the threshold this way, act."),
       ("止损：比较", "指标按此方向越过阈值时执行动作。")),
    _d("kill_criteria.*.threshold", "commit", "float",
       ("Kill: threshold", "The value that triggers the action (a share for rates, money for "
                           "costs and spend, ms for latency; calls_vs_forecast is actual / "
                           "forecast calls: 1.5 = 50% above the plan)."),
       ("止损：阈值", "触发动作的数值（比率为比例，成本和支出为金额，延迟为毫秒；"
                 "calls_vs_forecast 为实际调用次数与预测之比：1.5 = 比计划高 50%）。")),
    _d("kill_criteria.*.window_days", "commit", "int",
       ("Kill: window (days)", "Days the metric is measured over."),
       ("止损：窗口（天）", "衡量指标的天数。"), "days"),
    _d("kill_criteria.*.action", "commit", "choice",
       ("Kill: action", "What to do when the criterion is met."), ("止损：动作", "触发时要做什么。")),
    _d("kill_criteria.*.note", "commit", "text",
       ("Kill: why", "Why this criterion (optional)."), ("止损：原因", "为什么设这个标准（可选）。")),
)

# Spec fields the wizard does not edit, each for a reason.
NOT_EDITED: dict[str, str] = {
    "schema": "fixed: the wizard always writes scopecard.spec/1",
    # a prompt file is named relative to the spec's folder, but the wizard writes the spec into
    # the workspace's specs/ folder: the wizard takes the text itself instead (*_text)
    "prompt.system_file": "the wizard takes the text (prompt.system_text)",
    "prompt.user_file": "the wizard takes the text (prompt.user_text)",
    "prompt.context_file": "the wizard takes the text (prompt.context_text)",
    "prompt.output_file": "the wizard takes the text (prompt.output_text)",
    "candidates.*.model": "chosen with the model picker (candidates)",
    "candidates.*.price.unit": "one allowed value (1M tokens)",
}

BY_PATH: dict[str, SpecField] = {f.path: f for f in FIELDS}
STEP_ORDER = tuple(dict.fromkeys(f.step for f in FIELDS))
LIST_ROOTS = ("candidates", "kill_criteria")  # lists whose items have fields of their own


def template(path: str) -> str:
    """A concrete path with its list indices as `*` ("kill_criteria.0.metric" -> "...*...")."""
    return re.sub(r"(^|\.)\d+(?=\.|$)", r"\1*", path)


def find(path: str) -> SpecField | None:
    """The declaration of a path (concrete or template), else of its nearest declared parent."""
    keys = template(path).split(".")
    for n in range(len(keys), 0, -1):
        if (found := BY_PATH.get(".".join(keys[:n]))) is not None:
            return found
    return None


def label(path: str, lang: str = "en") -> str:
    """A field's label in `lang` (the path itself when nothing declares it)."""
    found = find(path)
    return found.label(lang) if found is not None else path


def uncertain_fields() -> tuple[str, ...]:
    """The spec numbers the Monte Carlo draws (number-or-range fields of the drawn sections)."""
    return tuple(f.path for f in FIELDS if f.kind == "num" and f.step in DRAWN_STEPS)


# --- what the models say about a field -----------------------------------------------------------

def _spec_model() -> type[BaseModel]:
    from rubrics.spec import Spec  # spec imports this module's users lazily; no cycle at import

    return Spec


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under Optional/Annotated, with the Annotated metadata found on the way."""
    meta: list[Any] = []
    while True:
        if get_origin(annotation) is typing.Annotated:
            meta += list(annotation.__metadata__)
            annotation = get_args(annotation)[0]
            continue
        if get_origin(annotation) in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, meta


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _walk(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, FieldInfo, Any, list[Any]]]:
    from rubrics.spec import Range

    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        inner, meta = _unwrap(info.annotation)
        meta = list(info.metadata) + meta
        args = get_args(inner)
        if Range in args:  # a number-or-range is one field
            yield path, info, inner, meta
        elif _is_model(inner):
            yield from _walk(inner, f"{path}.")
        elif get_origin(inner) is list and args and _is_model(_unwrap(args[0])[0]):
            yield from _walk(_unwrap(args[0])[0], f"{path}.*.")
        elif get_origin(inner) is dict and get_origin(_unwrap(args[0])[0]) is Literal:
            for key in get_args(_unwrap(args[0])[0]):
                value, value_meta = _unwrap(args[1])
                yield f"{path}.{key}", info, value, value_meta
        else:
            yield path, info, inner, meta


@cache
def _model_fields() -> dict[str, tuple[Any, tuple[Any, ...]]]:
    return {path: (inner, tuple(meta)) for path, _, inner, meta in _walk(_spec_model(), "")}


def spec_paths() -> list[str]:
    """Every leaf field of the Spec model as a template path (a number-or-range is a leaf)."""
    return list(_model_fields())


def choices(path: str) -> tuple[str, ...]:
    """The allowed values of a field whose model type is a Literal (else empty)."""
    found = _model_fields().get(template(path))
    if found is None:
        return ()
    inner = found[0]
    if get_origin(inner) is Literal:
        return tuple(str(a) for a in get_args(inner))
    return ()


def bounds(path: str) -> Bounds | None:
    """The allowed range of a numeric field, as its model declares it (None if it has none)."""
    found = _model_fields().get(template(path))
    if found is None:
        return None
    ge = gt = le = None
    for item in found[1]:
        if isinstance(item, Bounds):
            return item
        if isinstance(item, annotated_types.Ge):
            ge = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            gt = float(item.gt)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            le = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, WithJsonSchema) and item.json_schema:
            schema = item.json_schema
            schema = schema.get("anyOf", [schema])[0]
            ge, gt, le = (schema.get(k) for k in ("minimum", "exclusiveMinimum", "maximum"))
    if ge is None and gt is None and le is None:
        return None
    return Bounds(ge, gt, le)

"""The chat template of every lima-train checkpoint and export: the training format, as Jinja.

A conversation is trained as `<s> user <EOT> assistant <EOT> user <EOT> ...` (data.py): no role
names, every turn ends with the EOT token. The template renders the same text, so that
`tokenizer.apply_chat_template(messages)` (and vLLM, TGI, TRL or a chat UI, which all go through
the template) gives the ids the model was trained on. An optional first "system" message is
written in front of the first user turn, separated by a blank line (`SYSTEM_SEPARATOR`), as data.py
encodes it: the model, trained on alternating turns, reads it as part of the prompt.
`add_generation_prompt=True` adds nothing: after the last user turn's EOT the model answers.
"""

from __future__ import annotations

import json

SYSTEM_SEPARATOR = "\n\n"
TEMPLATE_MARK = "lima-train chat template"

_TEMPLATE = """\
{#- MARK: <s> user EOT assistant EOT ...; a system message goes in front of the first user turn -#}
{%- set eot = EOT -%}
{%- if messages and messages[0]['role'] == 'system' -%}
  {%- set system = messages[0]['content'] -%}
  {%- set turns = messages[1:] -%}
{%- else -%}
  {%- set system = none -%}
  {%- set turns = messages -%}
{%- endif -%}
{{- bos_token if bos_token else '' -}}
{%- for message in turns -%}
  {%- set expected = 'user' if loop.index0 % 2 == 0 else 'assistant' -%}
  {%- if message['role'] != expected -%}
    {{- raise_exception('messages[' ~ (loop.index0 + (1 if system is not none else 0)) ~ '] should be the ' ~ expected
        ~ ' turn (a system message may come first, then user and assistant alternate, user first)') -}}
  {%- endif -%}
  {%- if loop.first and system is not none -%}{{- system ~ SEP -}}{%- endif -%}
  {{- message['content'] ~ eot -}}
{%- endfor -%}
"""


def chat_template(eot_token: str) -> str:
    """The Jinja template for a model trained with `eot_token` ending every turn."""
    return (
        _TEMPLATE.replace("MARK", TEMPLATE_MARK)
        .replace("EOT -%}", json.dumps(eot_token, ensure_ascii=False) + " -%}", 1)
        .replace("SEP", json.dumps(SYSTEM_SEPARATOR))
    )


def install_chat_template(tokenizer, eot_token: str) -> str | None:
    """Give the tokenizer lima-train's template and EOT as its `eos_token`; say so if a template is replaced.

    Returns a one-line note when the tokenizer came with a chat template of its own (the caller prints
    it), else None. A template lima-train wrote for the same EOT is not reported again.
    """
    template = chat_template(eot_token)
    old = tokenizer.chat_template
    tokenizer.chat_template = template
    tokenizer.eos_token = eot_token
    if old and old != template:
        if isinstance(old, dict):
            names = ", ".join(sorted(old))
            return f"the base tokenizer's chat templates ({names}) are replaced by lima-train's, the format it trains on"
        return "the base tokenizer's chat template is replaced by lima-train's, the format it trains on (<s> turn <EOT> ...)"
    return None

import { type StandInStep, step } from '../support/anthropic-stand-in.ts';

// The seed design's example application, as the demo's repository holds it (and as fixed).

export const APP_PY = `"""A tiny order service: the example of ai-ops's original design."""
import logging

logging.basicConfig(
    filename="app.log",
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    level=logging.INFO,
)
log = logging.getLogger("shop")


def process_data(raw):
    """Turns the quantity a client sent into an int."""
    return int(raw["quantity"])


def handle_request(raw):
    quantity = process_data(raw)
    log.info("processed an order of %d item(s)", quantity)
    return quantity


if __name__ == "__main__":
    for payload in ({"quantity": "3"}, {"quantity": "three"}):
        try:
            handle_request(payload)
        except Exception:
            log.exception("request failed")
`;

export const FIXED_APP_PY = APP_PY.replace(
  `def process_data(raw):
    """Turns the quantity a client sent into an int."""
    return int(raw["quantity"])


def handle_request(raw):
    quantity = process_data(raw)
    log.info("processed an order of %d item(s)", quantity)
    return quantity`,
  `def process_data(raw):
    """Turns the quantity a client sent into an int; None when it is not a whole number."""
    try:
        return int(raw["quantity"])
    except (KeyError, TypeError, ValueError):
        log.warning("rejected an order with an invalid quantity: %r", raw.get("quantity"))
        return None


def handle_request(raw):
    quantity = process_data(raw)
    if quantity is None:
        return None
    log.info("processed an order of %d item(s)", quantity)
    return quantity`,
);

/** What python3 app.py logs, for machines without python3 ({APP} is the checkout's path). */
export const RECORDED_TRACEBACK = `2026-11-26 09:14:03,511 INFO shop: processed an order of 3 item(s)
2026-11-26 09:14:03,512 ERROR shop: request failed
Traceback (most recent call last):
  File "{APP}/app.py", line 28, in <module>
    handle_request(payload)
  File "{APP}/app.py", line 19, in handle_request
    quantity = process_data(raw)
               ^^^^^^^^^^^^^^^^^
  File "{APP}/app.py", line 15, in process_data
    return int(raw["quantity"])
           ^^^^^^^^^^^^^^^^^^^^
ValueError: invalid literal for int() with base 10: 'three'
`;

/** What Claude answered when this demo was recorded: read app.py, then submit one fix. */
export function recordedConversation(): StandInStep[] {
  return [
    step.toolUse([{ id: 'toolu_demo_view', name: 'view_file', input: { path: 'app.py' } }], {
      text: 'The ValueError comes from int() on the raw quantity in process_data. Let me read the whole file.',
      usage: { input_tokens: 2900, output_tokens: 80 },
    }),
    step.toolUse(
      [
        {
          id: 'toolu_demo_fix',
          name: 'submit_fix',
          input: {
            title: 'Reject a non-numeric quantity instead of crashing in process_data',
            rootCause:
              'process_data calls int() on the client-supplied quantity without validating it, so a value such as "three" raises ValueError and the request fails with an unhandled exception.',
            explanation:
              'process_data now returns None for a quantity that is missing or not a whole number and logs a warning; handle_request skips such an order instead of crashing. Valid quantities are processed exactly as before.',
            confidence: 'high',
            edits: [{ path: 'app.py', oldText: APP_PY_FUNCTIONS, newText: FIXED_FUNCTIONS }],
          },
        },
      ],
      { usage: { input_tokens: 3400, output_tokens: 420 } },
    ),
  ];
}

const APP_PY_FUNCTIONS = APP_PY.slice(
  APP_PY.indexOf('def process_data'),
  APP_PY.indexOf('\n\n\nif __name__'),
);
const FIXED_FUNCTIONS = FIXED_APP_PY.slice(
  FIXED_APP_PY.indexOf('def process_data'),
  FIXED_APP_PY.indexOf('\n\n\nif __name__'),
);

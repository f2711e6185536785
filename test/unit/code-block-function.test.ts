import { describe, expect, it } from 'vitest';
import { parseCodeBlockAnswer } from '../../functions/core/repair/fix-advisor/code-block-fallback.ts';
import { functionBlockEdit } from '../../functions/core/repair/fix-advisor/function-block.ts';

/** Applies a parsed answer's edits to the files, as the edit policy would (each oldText exactly once). */
function applyAnswer(answer: string, files: Record<string, string>): Record<string, string> {
  const parsed = parseCodeBlockAnswer({ answer, currentFiles: new Map(Object.entries(files)) });
  if (parsed.kind !== 'proposal') throw new Error(`no proposal: ${parsed.reason}`);
  const out = { ...files };
  for (const edit of parsed.proposal.edits) {
    const text = out[edit.path] ?? '';
    expect(text.split(edit.oldText)).toHaveLength(2);
    out[edit.path] = text.replace(edit.oldText, () => edit.newText);
  }
  return out;
}

const block = (filename: string, content: string) =>
  `<code_block filename="${filename}">\n${content}</code_block>`;

const APP_PY = `"""Orders."""
import logging

log = logging.getLogger("shop")


@traced
def process_data(raw):
    """Turns the quantity into an int."""
    return int(raw["quantity"])


def handle_request(raw):
    quantity = process_data(raw)

    log.info("processed %d", quantity)
    return quantity


if __name__ == "__main__":
    handle_request({"quantity": "3"})
`;

describe('the <code_block> fallback with a block holding only a function', () => {
  it('Python: replaces that function and keeps the rest of the file (imports, other functions, decorator, main)', () => {
    const fixed = `def process_data(raw):
    """Turns the quantity into an int; None when it is not one."""
    try:
        return int(raw["quantity"])
    except (KeyError, ValueError):
        return None
`;
    const out = applyAnswer(`Validate the quantity.\n\n${block('app.py', fixed)}`, { 'app.py': APP_PY });
    expect(out['app.py']).toBe(
      APP_PY.replace(
        `def process_data(raw):
    """Turns the quantity into an int."""
    return int(raw["quantity"])`,
        fixed.trimEnd(),
      ),
    );
    expect(out['app.py']).toContain('import logging');
    expect(out['app.py']).toContain('@traced\ndef process_data(raw):');
    expect(out['app.py']).toContain('def handle_request(raw):');
    expect(out['app.py']).toContain('if __name__ == "__main__":');
  });

  it('Python: a function whose body has blank lines, and a multi-line signature', () => {
    const fixed =
      'def handle_request(\n    raw,\n):\n    quantity = process_data(raw) or 0\n\n    return quantity\n';
    const out = applyAnswer(block('app.py', fixed), { 'app.py': APP_PY });
    expect(out['app.py']).toContain(
      'def handle_request(\n    raw,\n):\n    quantity = process_data(raw) or 0',
    );
    expect(out['app.py']).not.toContain('log.info("processed %d", quantity)');
    expect(out['app.py']).toContain('if __name__ == "__main__":');
  });

  it('JavaScript, with braces in strings and a nested block', () => {
    const file = [
      "import { db } from './db.js';",
      '',
      'export async function loadUser(id) {',
      '  const row = await db.get(id);',
      "  if (!row) { throw new Error('no user {id}'); }",
      '  return row.user;',
      '}',
      '',
      'export function other() {',
      '  return 1;',
      '}',
      '',
    ].join('\n');
    const fixed =
      'export async function loadUser(id) {\n  const row = await db.get(id);\n  return row?.user ?? null;\n}\n';
    const out = applyAnswer(block('src/users.js', fixed), { 'src/users.js': file });
    expect(out['src/users.js']).toBe(
      [
        "import { db } from './db.js';",
        '',
        'export async function loadUser(id) {',
        '  const row = await db.get(id);',
        '  return row?.user ?? null;',
        '}',
        '',
        'export function other() {',
        '  return 1;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('Go: a method with a receiver; Java: a method shown without its class indentation is re-indented', () => {
    const go =
      'package shop\n\nfunc (s *Store) Get(id int) *Item {\n\treturn s.items[id]\n}\n\nfunc helper() {}\n';
    const goFix =
      'func (s *Store) Get(id int) *Item {\n\tif id >= len(s.items) {\n\t\treturn nil\n\t}\n\treturn s.items[id]\n}\n';
    expect(applyAnswer(block('store.go', goFix), { 'store.go': go })['store.go']).toBe(
      `package shop\n\n${goFix}\nfunc helper() {}\n`,
    );

    const java = [
      'class Orders {',
      '    private int count;',
      '',
      '    public int parse(String raw) {',
      '        return Integer.parseInt(raw);',
      '    }',
      '}',
      '',
    ].join('\n');
    const javaFix =
      'public int parse(String raw) {\n    try {\n        return Integer.parseInt(raw);\n    } catch (NumberFormatException e) {\n        return 0;\n    }\n}\n';
    const out = applyAnswer(block('Orders.java', javaFix), { 'Orders.java': java })['Orders.java'] ?? '';
    expect(out).toContain(
      'class Orders {\n    private int count;\n\n    public int parse(String raw) {\n        try {',
    );
    expect(out).toContain(
      '        } catch (NumberFormatException e) {\n            return 0;\n        }\n    }\n}\n',
    );
  });

  it('Ruby, and a CRLF file', () => {
    const ruby =
      'class Cart\r\n  def total\r\n    items.sum(&:price)\r\n  end\r\n\r\n  def size\r\n    items.size\r\n  end\r\nend\r\n';
    const out = applyAnswer(block('cart.rb', '  def total\n    items.sum { |i| i.price || 0 }\n  end\n'), {
      'cart.rb': ruby,
    });
    expect(out['cart.rb']).toBe(
      'class Cart\r\n  def total\r\n    items.sum { |i| i.price || 0 }\r\n  end\r\n\r\n  def size\r\n    items.size\r\n  end\r\nend\r\n',
    );
  });

  it('still reads a block with more than one function, or other code, as the whole file', () => {
    const whole = 'import logging\n\n\ndef process_data(raw):\n    return 1\n';
    expect(functionBlockEdit({ block: whole, current: APP_PY })).toEqual({ kind: 'whole_file' });
    const two = 'def process_data(raw):\n    return 1\n\n\ndef handle_request(raw):\n    return 2\n';
    expect(functionBlockEdit({ block: two, current: APP_PY })).toEqual({ kind: 'whole_file' });
    const parsed = parseCodeBlockAnswer({
      answer: block('app.py', two),
      currentFiles: new Map([['app.py', APP_PY]]),
    });
    expect(parsed.kind === 'proposal' && parsed.proposal.edits).toEqual([
      { path: 'app.py', oldText: APP_PY, newText: two },
    ]);
  });

  it('skips a lone function the file does not have, rather than replacing the whole file with it', () => {
    const parsed = parseCodeBlockAnswer({
      answer: block('app.py', 'def validate(raw):\n    return raw\n'),
      currentFiles: new Map([['app.py', APP_PY]]),
    });
    expect(parsed).toEqual({
      kind: 'none',
      reason: 'no <code_block> names an existing file it changes',
      skipped: [{ filename: 'app.py', why: 'function_not_found' }],
    });
  });
});

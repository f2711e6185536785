// On Windows, Python's standard library sits in the installation's `Lib\` with no version folder
// (`C:\Python311\Lib\json\decoder.py`), where the Linux rule looks for `lib/python3.11/`. Its frames
// counted as the application's: the line named as where the error was raised was json's, and the
// library's frames joined the fingerprint. Real tracebacks users posted in public issue threads,
// each thread named; their code lines are left out (the tests read the frames only).
import { describe, expect, it } from 'vitest';
import { detectErrors } from '../../../functions/core/detect/detect-errors.ts';
import { isInApp } from '../../../functions/core/detect/in-app.ts';
import { makeEvents } from '../../support/log-events.ts';

const TRACES: { source: string; trace: string[]; app: string[] }[] = [
  {
    source: 'https://github.com/Ekultek/WhatBreach/issues/14 (Python 3.8, C:\\Python\\Python38)',
    trace: [
      'Traceback (most recent call last):',
      '  File "whatbreach.py", line 5, in <module>',
      '  File "C:\\Users\\me\\.whatbreach_home\\whatbreach\\main.py", line 45, in main',
      '  File "C:\\Users\\me\\.whatbreach_home\\lib\\settings.py", line 248, in grab_api_tokens',
      '  File "C:\\Python\\Python38\\lib\\json\\__init__.py", line 293, in load',
      '  File "C:\\Python\\Python38\\lib\\json\\__init__.py", line 357, in loads',
      '  File "C:\\Python\\Python38\\lib\\json\\decoder.py", line 337, in decode',
      '  File "C:\\Python\\Python38\\lib\\json\\decoder.py", line 355, in raw_decode',
      'json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)',
    ],
    app: [
      'whatbreach.py:5',
      'C:\\Users\\me\\.whatbreach_home\\whatbreach\\main.py:45',
      'C:\\Users\\me\\.whatbreach_home\\lib\\settings.py:248',
    ],
  },
  {
    source: 'https://github.com/GaiZhenbiao/ChuanhuChatGPT/pull/344 (Python 3.11 from the installer)',
    trace: [
      'Traceback (most recent call last):',
      '  File "C:\\Users\\Administrator\\Desktop\\ChuanhuChatGPT\\ChuanhuChatbot.py", line 48, in <module>',
      '  File "C:\\Users\\Administrator\\AppData\\Local\\Programs\\Python\\Python311\\Lib\\json\\__init__.py", line 293, in load',
      "UnicodeDecodeError: 'gbk' codec can't decode byte 0x8d in position 28: illegal multibyte sequence",
    ],
    app: ['C:\\Users\\Administrator\\Desktop\\ChuanhuChatGPT\\ChuanhuChatbot.py:48'],
  },
  {
    source: 'https://github.com/jeffchen006/OpenTracer/issues/5 (a conda environment)',
    trace: [
      'Traceback (most recent call last):',
      '  File "d:\\GoogleDownload\\OpenTracer-main\\main.py", line 746, in <module>',
      '  File "d:\\GoogleDownload\\OpenTracer-main\\crawlPackage\\crawlTrueBlocks.py", line 29, in Contract2TxHistoryBlockIndex',
      '  File "C:\\Users\\ASUS\\.conda\\envs\\opentracer\\lib\\json\\__init__.py", line 346, in loads',
      '  File "C:\\Users\\ASUS\\.conda\\envs\\opentracer\\lib\\json\\decoder.py", line 337, in decode',
      'json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)',
    ],
    app: [
      'd:\\GoogleDownload\\OpenTracer-main\\main.py:746',
      'd:\\GoogleDownload\\OpenTracer-main\\crawlPackage\\crawlTrueBlocks.py:29',
    ],
  },
];

describe("Python's standard library on Windows", () => {
  it.each(TRACES)('$source: only the application is in-app', ({ trace, app }) => {
    const [found] = detectErrors(makeEvents([trace.join('\n')]));
    expect(found?.record.frames.filter((f) => f.inApp).map((f) => `${f.file}:${f.line}`)).toEqual(app);
  });

  it("knows the other places Windows keeps it, and leaves an application's own lib folders alone", () => {
    const py = (file: string) => isInApp({ language: 'python', file });
    for (const file of [
      'C:\\Python311x64\\Lib\\json\\decoder.py',
      'C:\\Program Files\\Python312\\Lib\\asyncio\\base_events.py',
      'C:\\ProgramData\\Anaconda3\\lib\\json\\decoder.py',
      'C:\\Users\\dev\\.pyenv\\pyenv-win\\versions\\3.11.0\\Lib\\json\\decoder.py',
    ])
      expect(py(file)).toBe(false);
    for (const file of [
      'C:\\srv\\shop\\lib\\pricing.py',
      'D:\\apps\\python-tools\\lib\\report.py',
      '/srv/app/Python3/lib/helpers.py',
    ])
      expect(py(file)).toBe(true);
  });
});

/**
 * Malformed input, the way a user meets it: `cascade-lab import` (the command's function, in this
 * process, through the app's import service and its worker) on small files this test writes.
 * Every case must fail with exit code 1 and a message naming the file, the line and the column
 * where they apply, in at most a few hundred characters with no control characters; and the
 * database and the data folder must be byte for byte as they were (issue #11, "Safe by default").
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIKTOK_COLUMNS } from '../core/node/importers/tiktok';
import { importCommand } from './import-command';
import { EXIT_OK, EXIT_RUN_FAILED, type CliIo } from './io';

type Importer = 'csv' | 'jsonl' | 'tiktok' | 'wechat';
type TikTokColumn = (typeof TIKTOK_COLUMNS)[number];

/** Marks a path the case creates as a folder instead of a file. */
const DIRECTORY = Symbol('directory');
type Content = string | Uint8Array | typeof DIRECTORY;

interface MalformedCase {
  name: string;
  importer: Importer;
  /** Files of the case by name; they replace the importer's valid defaults of the same name. */
  files?: Record<string, Content>;
  /** Names of the files to pass, in order (default: the importer's usual files). */
  pass?: string[];
  /** What the message says, after the location. */
  message: RegExp;
  /** The location the message must start with: file name, and line and column where they apply. */
  at: { file: string; line?: number; column?: string };
  /** The arguments after the paths, instead of the importer's usual ones (a csv mapping). */
  args?: string[];
}

/* ----------------------------------------------------------------------------------------------
 * Valid defaults; each case breaks one thing
 * -------------------------------------------------------------------------------------------- */

const TIKTOK_ROW: Record<TikTokColumn, string> = {
  uid: '1',
  user_city: '2',
  item_id: '3',
  author_id: '4',
  item_city: '5',
  channel: '0',
  finish: '1',
  like: '0',
  music_id: '6',
  did: '7',
  creat_time: '53000000',
  video_duration: '10',
};

/** One TikTok line with some fields replaced. */
function tiktokRow(fields: Partial<Record<TikTokColumn, string>> = {}): string {
  return TIKTOK_COLUMNS.map((column) => fields[column] ?? TIKTOK_ROW[column]).join('\t');
}

/** Two valid rows, then the given lines (the first of them is line 3). */
function tiktokFile(...lines: string[]): string {
  return [tiktokRow(), tiktokRow({ uid: '2', item_id: '4' }), ...lines].map((line) => `${line}\n`).join('');
}

const FEED_HEADER = 'feedid,authorid,videoplayseconds,bgm_song_id,bgm_singer_id,manual_tag_list';
const FEEDS = [FEED_HEADER, '1,10,15,100,200,5;6', '2,11,30,,,7'];
const ACTION_HEADER = 'userid,feedid,date_,device,play';
const ACTIONS = [ACTION_HEADER, '1,1,1,1,12000', '2,2,2,2,500'];
const EMBEDDING = Array.from({ length: 512 }, (_, k) => (k % 7) / 10).join(' ');

const CSV_HEADER = 'user,item,label,ts,weight,genre';
const CSV_ROWS = [CSV_HEADER, 'u1,i1,1,1700000000,3.5,drama', 'u2,i2,0,1700000060,1,comedy'];
const CSV_ARGS = [
  '--user',
  'user',
  '--item',
  'item',
  '--label',
  'label',
  '--time',
  'ts',
  '--weight',
  'weight',
];

const JSON_ROWS = [
  { u: 'u1', i: 'i1', y: 1, t: 1700000000, w: 3.5, g: 'drama' },
  { u: 'u2', i: 'i2', y: 0, t: 1700000060, w: 1, g: 'comedy' },
].map((row) => JSON.stringify(row));
const JSON_ARGS = ['--user', 'u', '--item', 'i', '--label', 'y', '--time', 't', '--weight', 'w'];

const lines = (...all: string[]) => all.map((line) => `${line}\n`).join('');
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))),
  );

const DEFAULTS: Record<Importer, { files: Record<string, Content>; pass: string[]; args: string[] }> = {
  csv: { files: { 'log.csv': lines(...CSV_ROWS) }, pass: ['log.csv'], args: CSV_ARGS },
  jsonl: { files: { 'log.jsonl': lines(...JSON_ROWS) }, pass: ['log.jsonl'], args: JSON_ARGS },
  tiktok: { files: { 'final_track2_train.txt': tiktokFile() }, pass: ['final_track2_train.txt'], args: [] },
  wechat: {
    files: { 'user_action.csv': lines(...ACTIONS), 'feed_info.csv': lines(...FEEDS) },
    pass: ['user_action.csv', 'feed_info.csv'],
    args: [],
  },
};

const TRAIN = 'final_track2_train.txt';
const VIDEO = 'track2_video_features.txt';
const TITLE = 'track2_title.txt';
const ACTION = 'user_action.csv';
const FEED = 'feed_info.csv';
const EMBEDDINGS = 'feed_embeddings.csv';
const ESC = '\u001b';
const HUGE = 'x'.repeat(1 << 20);
const DIGITS_400 = '9'.repeat(400);
const GZIP = gzipSync(Buffer.from(lines(...CSV_ROWS)));

/* ----------------------------------------------------------------------------------------------
 * The cases
 * -------------------------------------------------------------------------------------------- */

/**
 * A case whose file is `valid` (header and valid rows) with `row` appended: the bad line is the
 * one after them. The other files of the importer's defaults stay as they are.
 */
function appendedRowCase(
  importer: Importer,
  file: string,
  valid: readonly string[],
  name: string,
  row: string,
  message: RegExp,
  column?: string,
  extra: Partial<MalformedCase> = {},
): MalformedCase {
  return {
    name,
    importer,
    files: { [file]: lines(...valid, row) },
    message,
    at: { file, line: valid.length + 1, column },
    ...extra,
  };
}

/** A csv case: the header and two valid rows, then `row` as line 4. */
function csvCase(
  name: string,
  row: string,
  message: RegExp,
  column?: string,
  extra: Partial<MalformedCase> = {},
): MalformedCase {
  return appendedRowCase('csv', 'log.csv', CSV_ROWS, name, row, message, column, extra);
}

function jsonCase(name: string, row: string, message: RegExp, column?: string): MalformedCase {
  return appendedRowCase('jsonl', 'log.jsonl', JSON_ROWS, name, row, message, column);
}

function tiktokCase(
  name: string,
  fields: Partial<Record<TikTokColumn, string>>,
  message: RegExp,
  column: string,
): MalformedCase {
  return {
    name,
    importer: 'tiktok',
    files: { [TRAIN]: tiktokFile(tiktokRow(fields)) },
    message,
    at: { file: TRAIN, line: 3, column },
  };
}

function actionCase(name: string, row: string, message: RegExp, column?: string): MalformedCase {
  return appendedRowCase('wechat', ACTION, ACTIONS, name, row, message, column);
}

function feedCase(name: string, row: string, message: RegExp, column?: string): MalformedCase {
  return appendedRowCase('wechat', FEED, FEEDS, name, row, message, column);
}

const LABEL_RULE = /the label must be 0\/1 or true\/false/;

const CSV_CASES: MalformedCase[] = [
  {
    name: 'empty file',
    importer: 'csv',
    files: { 'log.csv': '' },
    message: /the file is empty/,
    at: { file: 'log.csv' },
  },
  {
    name: 'header only',
    importer: 'csv',
    files: { 'log.csv': lines(CSV_HEADER) },
    message: /no rows with a label/,
    at: { file: 'log.csv' },
  },
  {
    name: 'blank lines only',
    importer: 'csv',
    files: { 'log.csv': '\n\n\n' },
    message: /no rows with a label/,
    at: { file: 'log.csv' },
  },
  {
    name: 'mapped column missing',
    importer: 'csv',
    files: { 'log.csv': lines('user,item,clicked,ts,weight,genre', 'u1,i1,1,1,1,a') },
    message: /missing column "label"; the header has: "user, item, clicked, ts, weight, genre"/,
    at: { file: 'log.csv', line: 1, column: 'label' },
  },
  {
    name: 'duplicate header name',
    importer: 'csv',
    files: { 'log.csv': lines('user,item,label,user,ts,weight', 'u1,i1,1,u2,1,1') },
    message: /names column "user" twice, as columns 1 and 4/,
    at: { file: 'log.csv', line: 1 },
  },
  csvCase('extra field', 'u3,i3,1,1700000120,2,drama,surplus', /has 7 fields, the header has 6/),
  csvCase('missing field', 'u3,i3,1,1700000120,2', /has 5 fields, the header has 6/),
  {
    name: 'last line cut off',
    importer: 'csv',
    files: { 'log.csv': `${lines(...CSV_ROWS)}u3,i3,1` },
    message: /has 3 fields, the header has 6 \(the last line looks truncated\)/,
    at: { file: 'log.csv', line: 4 },
  },
  csvCase('unclosed quote', 'u3,"i3,1,1700000120,2,drama', /a quoted field is not closed/),
  csvCase('empty user id', ',i3,1,1700000120,2,drama', /the user id is empty/, 'user'),
  csvCase('empty item id', 'u3, ,1,1700000120,2,drama', /the item id is empty/, 'item'),
  csvCase('label 2', 'u3,i3,2,1700000120,2,drama', LABEL_RULE, 'label'),
  csvCase('label NaN', 'u3,i3,NaN,1700000120,2,drama', LABEL_RULE, 'label'),
  csvCase('label yes', 'u3,i3,yes,1700000120,2,drama', LABEL_RULE, 'label'),
  csvCase(
    'label Infinity with a threshold',
    'u3,i3,Infinity,1700000120,2,drama',
    /the label is out of range/,
    'label',
    {
      args: [...CSV_ARGS, '--label-threshold', '0.5'],
    },
  ),
  csvCase('time Infinity', 'u3,i3,1,Infinity,2,drama', /the time is out of range: "Infinity"/, 'ts'),
  csvCase('time 1e400', 'u3,i3,1,1e400,2,drama', /the time is out of range: "1e400"/, 'ts'),
  csvCase('time NaN', 'u3,i3,1,NaN,2,drama', /not a number or a date: "NaN"/, 'ts'),
  csvCase('time not a date', 'u3,i3,1,yesterday,2,drama', /not a number or a date: "yesterday"/, 'ts'),
  csvCase('time empty', 'u3,i3,1,,2,drama', /not a number or a date/, 'ts'),
  csvCase('weight Infinity', 'u3,i3,1,1700000120,Infinity,drama', /the weight is out of range/, 'weight'),
  csvCase('weight -Infinity', 'u3,i3,1,1700000120,-Infinity,drama', /the weight is out of range/, 'weight'),
  csvCase('weight beyond float32', 'u3,i3,1,1700000120,1e39,drama', /the weight is out of range/, 'weight'),
  csvCase('weight in hex', 'u3,i3,1,1700000120,0x10,drama', /the weight is not a number: "0x10"/, 'weight'),
  csvCase('label in hex', 'u3,i3,0x1,1700000120,2,drama', LABEL_RULE, 'label'),
  csvCase('time in binary', 'u3,i3,1,0b101,2,drama', /not a number or a date: "0b101"/, 'ts'),
  csvCase('weight NaN', 'u3,i3,1,1700000120,NaN,drama', /the weight is not a number: "NaN"/, 'weight'),
  csvCase(
    'weight not a number',
    'u3,i3,1,1700000120,long,drama',
    /the weight is not a number: "long"/,
    'weight',
  ),
  csvCase('weight negative', 'u3,i3,1,1700000120,-3,drama', /the weight must not be negative/, 'weight'),
  {
    name: 'invalid UTF-8 in an id',
    importer: 'csv',
    files: { 'log.csv': bytes(lines(...CSV_ROWS), 'u3,caf', [0xe9], ',1,1700000120,2,drama\n') },
    message: /is not valid UTF-8: byte 0xe9 at byte 7 of the line \(file offset 95\), after "u3,caf"/,
    at: { file: 'log.csv', line: 4 },
  },
  {
    name: 'invalid UTF-8 in the header',
    importer: 'csv',
    files: { 'log.csv': bytes('user,item,lab', [0xff], 'el\nu1,i1,1\n') },
    message: /is not valid UTF-8: byte 0xff at byte 14 of the line/,
    at: { file: 'log.csv', line: 1 },
  },
  {
    name: 'overlong UTF-8 encoding',
    importer: 'csv',
    files: { 'log.csv': bytes(lines(...CSV_ROWS), 'u3,i', [0xc0, 0xaf], ',1,1700000120,2,drama\n') },
    message: /is not valid UTF-8: byte 0xc0 at byte 5 of the line/,
    at: { file: 'log.csv', line: 4 },
  },
  {
    name: 'UTF-8 encoded surrogate',
    importer: 'csv',
    files: { 'log.csv': bytes(lines(...CSV_ROWS), 'u3,i', [0xed, 0xa0, 0x80], ',1,1700000120,2,drama\n') },
    message: /is not valid UTF-8: byte 0xed at byte 5 of the line/,
    at: { file: 'log.csv', line: 4 },
  },
  {
    name: 'UTF-8 sequence cut at the end of the file',
    importer: 'csv',
    files: { 'log.csv': bytes(lines(...CSV_ROWS), 'u3,i3,1,1700000120,2,caf', [0xc3]) },
    message: /is not valid UTF-8: byte 0xc3 at byte 25 of the line/,
    at: { file: 'log.csv', line: 4 },
  },
  {
    name: 'NUL byte',
    importer: 'csv',
    files: { 'log.csv': bytes(lines(...CSV_ROWS), 'u3,i3', [0], ',1,1700000120,2,drama\n') },
    message: /has a NUL byte at byte 6 of the line .*binary file/,
    at: { file: 'log.csv', line: 4 },
  },
  {
    name: 'gzip file',
    importer: 'csv',
    files: { 'log.csv': GZIP },
    message: /is a gzip file; decompress it first/,
    at: { file: 'log.csv' },
  },
  {
    name: 'zip archive (xlsx)',
    importer: 'csv',
    files: { 'log.csv': bytes([0x50, 0x4b, 0x03, 0x04], 'rest of a workbook') },
    message: /is a zip archive/,
    at: { file: 'log.csv' },
  },
  {
    name: 'UTF-16 text',
    importer: 'csv',
    files: { 'log.csv': Buffer.from(`\ufeff${lines(...CSV_ROWS)}`, 'utf16le') },
    message: /is UTF-16 text; save it as UTF-8/,
    at: { file: 'log.csv' },
  },
  {
    name: 'directory',
    importer: 'csv',
    files: { 'log.csv': DIRECTORY },
    message: /is a directory/,
    at: { file: 'log.csv' },
  },
  {
    name: 'file that does not exist',
    importer: 'csv',
    files: { 'log.csv': lines(...CSV_ROWS) },
    pass: ['no-such-log.csv'],
    message: /cannot open the file \(ENOENT\)/,
    at: { file: 'no-such-log.csv' },
  },
  {
    name: 'huge header line (1 MB)',
    importer: 'csv',
    files: { 'log.csv': lines(`${HUGE},item`, 'a,b') },
    message: /missing column "user"; the header has: "x{200}"… \(1048582 characters in all\)/,
    at: { file: 'log.csv', line: 1, column: 'user' },
  },
  {
    name: 'ANSI escape sequence in the header',
    importer: 'csv',
    files: { 'log.csv': lines(`${ESC}[2J${ESC}[31muser,item`, 'a,b') },
    message: /missing column "user"; the header has: "\\x1b\[2J\\x1b\[31muser, item"/,
    at: { file: 'log.csv', line: 1, column: 'user' },
  },
  csvCase(
    'ANSI escape sequence in a value',
    `u3,i3,1,${ESC}]0;pwned${ESC}\\,2,drama`,
    /not a number or a date: "\\x1b\]0;pwned\\x1b\\"/,
    'ts',
  ),
  {
    name: 'CRLF line endings, bad label on line 3',
    importer: 'csv',
    files: { 'log.csv': 'user,item,label\r\nu1,i1,1\r\nu2,i2,7\r\n' },
    args: ['--user', 'user', '--item', 'item', '--label', 'label'],
    message: /the label must be 0\/1 or true\/false \(or set a label threshold\): "7"$/,
    at: { file: 'log.csv', line: 3, column: 'label' },
  },
  {
    name: 'old Mac (CR only) line endings',
    importer: 'csv',
    files: { 'log.csv': 'user,item,label\ru1,i1,1\ru2,i2,0\r' },
    args: ['--user', 'user', '--item', 'item', '--label', 'label'],
    message: /missing column "label"; the header has: "user, item, label\\ru1, i1, 1\\ru2, i2, 0"/,
    at: { file: 'log.csv', line: 1, column: 'label' },
  },
];

const JSONL_CASES: MalformedCase[] = [
  jsonCase('not JSON', '{"u": "u3", "i": ', /not valid JSON/),
  jsonCase('a JSON array per line', '["u3", "i3", 1]', /expected a JSON object per line/),
  jsonCase(
    'user id is an object',
    '{"u": {"id": 3}, "i": "i3", "y": 1, "t": 1, "w": 1}',
    /expected a single value, found a JSON object: "\{"id":3\}"/,
    'u',
  ),
  jsonCase('item id is an array', '{"u": "u3", "i": [3], "y": 1, "t": 1, "w": 1}', /found a JSON array/, 'i'),
  jsonCase(
    'user id beyond 2^53 as a number',
    '{"u": 9007199254740993, "i": "i3", "y": 1, "t": 1, "w": 1}',
    /is beyond 2\^53 as a JSON number.*write the id as a string/,
    'u',
  ),
  jsonCase(
    'user id 1e999',
    '{"u": 1e999, "i": "i3", "y": 1, "t": 1, "w": 1}',
    /the number is out of range/,
    'u',
  ),
  jsonCase(
    'label is an array',
    '{"u": "u3", "i": "i3", "y": [1], "t": 1, "w": 1}',
    /found a JSON array/,
    'y',
  ),
  jsonCase(
    'time 1e999',
    '{"u": "u3", "i": "i3", "y": 1, "t": 1e999, "w": 1}',
    /the time is out of range/,
    't',
  ),
  jsonCase(
    'time is an object',
    '{"u": "u3", "i": "i3", "y": 1, "t": {"s": 1}, "w": 1}',
    /found a JSON object/,
    't',
  ),
  jsonCase(
    'weight -1e999',
    '{"u": "u3", "i": "i3", "y": 1, "t": 1, "w": -1e999}',
    /the weight is out of range/,
    'w',
  ),
  jsonCase(
    'weight is an object',
    '{"u": "u3", "i": "i3", "y": 1, "t": 1, "w": {"a": 1}}',
    /found a JSON object/,
    'w',
  ),
  jsonCase(
    'weight is a boolean',
    '{"u": "u3", "i": "i3", "y": 1, "t": 1, "w": true}',
    /the weight is not a number: "true"/,
    'w',
  ),
  jsonCase('user key missing', '{"i": "i3", "y": 1, "t": 1, "w": 1}', /the user id is empty/, 'u'),
  {
    name: 'feature value is an object',
    importer: 'jsonl',
    files: {
      'log.jsonl': lines(...JSON_ROWS, '{"u": "u3", "i": "i3", "y": 1, "t": 1, "w": 1, "g": {"x": 1}}'),
    },
    args: [...JSON_ARGS, '--item-features', 'g'],
    message: /found a JSON object/,
    at: { file: 'log.jsonl', line: 3, column: 'g' },
  },
  {
    name: 'last line cut off',
    importer: 'jsonl',
    files: { 'log.jsonl': `${lines(...JSON_ROWS)}{"u": "u3", "i"` },
    message: /not valid JSON/,
    at: { file: 'log.jsonl', line: 3 },
  },
];

const TIKTOK_CASES: MalformedCase[] = [
  {
    name: 'empty file',
    importer: 'tiktok',
    files: { [TRAIN]: '' },
    message: /the file is empty/,
    at: { file: TRAIN },
  },
  {
    name: 'comma-separated',
    importer: 'tiktok',
    files: { [TRAIN]: lines(tiktokRow().replaceAll('\t', ',')) },
    message: /found no tab: the TikTok train file is tab-separated with 12 columns/,
    at: { file: TRAIN, line: 1 },
  },
  {
    name: '11 columns',
    importer: 'tiktok',
    files: { [TRAIN]: tiktokFile(tiktokRow().split('\t').slice(1).join('\t')) },
    message: /has 11 columns, expected 12/,
    at: { file: TRAIN, line: 3 },
  },
  {
    name: '13 columns',
    importer: 'tiktok',
    files: { [TRAIN]: tiktokFile(`${tiktokRow()}\t0`) },
    message: /has 13 columns, expected 12/,
    at: { file: TRAIN, line: 3 },
  },
  {
    name: 'last line cut off',
    importer: 'tiktok',
    files: { [TRAIN]: `${tiktokFile()}5\t1\t9` },
    message: /has 3 columns, expected 12 \(the last line looks truncated\)/,
    at: { file: TRAIN, line: 3 },
  },
  {
    name: 'no row has a label',
    importer: 'tiktok',
    files: { [TRAIN]: lines(tiktokRow({ finish: '-1' }), tiktokRow({ finish: '-1', uid: '2' })) },
    message: /no row has a label/,
    at: { file: TRAIN },
  },
  tiktokCase('uid not a number', { uid: 'abc' }, /user id is not a non-negative integer: "abc"/, 'uid'),
  tiktokCase('uid negative', { uid: '-5' }, /user id is not a non-negative integer: "-5"/, 'uid'),
  tiktokCase('uid empty', { uid: '' }, /user id is not a non-negative integer: ""/, 'uid'),
  tiktokCase('uid a fraction', { uid: '1.5' }, /user id is not a non-negative integer: "1.5"/, 'uid'),
  tiktokCase(
    'uid with ANSI escape',
    { uid: `${ESC}[1m7` },
    /user id is not a non-negative integer: "\\x1b\[1m7"/,
    'uid',
  ),
  tiktokCase('item_id NaN', { item_id: 'NaN' }, /item id is not a non-negative integer: "NaN"/, 'item_id'),
  tiktokCase('finish 2', { finish: '2' }, /finish must be 0, 1 or -1, not "2"/, 'finish'),
  tiktokCase('finish NaN', { finish: 'NaN' }, /finish must be 0, 1 or -1, not "NaN"/, 'finish'),
  tiktokCase(
    'creat_time Infinity',
    { creat_time: 'Infinity' },
    /time is not an integer: "Infinity"/,
    'creat_time',
  ),
  tiktokCase(
    'creat_time 400 digits',
    { creat_time: DIGITS_400 },
    /time is out of range: "9{200}"… \(400 characters in all\)/,
    'creat_time',
  ),
  tiktokCase(
    'creat_time in exponent form',
    { creat_time: '1.5e9' },
    /time is not an integer: "1.5e9"/,
    'creat_time',
  ),
  tiktokCase('video_duration 400 digits', { video_duration: DIGITS_400 }, /out of range/, 'video_duration'),
  tiktokCase('like not a number', { like: 'x' }, /not an integer: "x"/, 'like'),
  tiktokCase('music_id a fraction', { music_id: '1.5' }, /not an integer: "1.5"/, 'music_id'),
  tiktokCase(
    'huge field (1 MB)',
    { did: HUGE },
    /not an integer: "x{200}"… \(1048576 characters in all\)/,
    'did',
  ),
  {
    name: 'invalid UTF-8',
    importer: 'tiktok',
    files: { [TRAIN]: bytes(tiktokFile(), '5\t', [0xe9], '\n') },
    message: /is not valid UTF-8: byte 0xe9 at byte 3 of the line/,
    at: { file: TRAIN, line: 3 },
  },
  {
    name: 'NUL byte',
    importer: 'tiktok',
    files: { [TRAIN]: bytes(tiktokFile(), [0, 0, 0, 0], '\n') },
    message: /has a NUL byte at byte 1 of the line/,
    at: { file: TRAIN, line: 3 },
  },
  {
    name: 'gzip file',
    importer: 'tiktok',
    files: { [TRAIN]: gzipSync(Buffer.from(tiktokFile())) },
    message: /is a gzip file; decompress it first/,
    at: { file: TRAIN },
  },
  {
    name: 'UTF-16 text',
    importer: 'tiktok',
    files: { [TRAIN]: Buffer.from(`\ufeff${tiktokFile()}`, 'utf16le') },
    message: /is UTF-16 text/,
    at: { file: TRAIN },
  },
  {
    name: 'directory',
    importer: 'tiktok',
    files: { [TRAIN]: DIRECTORY },
    message: /is a directory/,
    at: { file: TRAIN },
  },
  {
    name: 'CRLF line endings, bad finish on line 2',
    importer: 'tiktok',
    files: { [TRAIN]: `${tiktokRow()}\r\n${tiktokRow({ finish: '3' })}\r\n` },
    message: /finish must be 0, 1 or -1, not "3"$/,
    at: { file: TRAIN, line: 2, column: 'finish' },
  },
  {
    name: 'video features: not JSON',
    importer: 'tiktok',
    files: { [VIDEO]: lines('{"item_id": 3, "video_feature_dim_128": [0.5, 0.25]}', '{"item_id": 4, ') },
    pass: [TRAIN, VIDEO],
    message: /not valid JSON/,
    at: { file: VIDEO, line: 2 },
  },
  {
    name: 'video features: item id is an object',
    importer: 'tiktok',
    files: { [VIDEO]: lines('{"item_id": {"id": 3}, "video_feature_dim_128": [0.5, 0.25]}') },
    pass: [TRAIN, VIDEO],
    message: /missing or non-integer item id/,
    at: { file: VIDEO, line: 1, column: 'item_id' },
  },
  {
    name: 'video features: item id beyond 2^53 as a number',
    importer: 'tiktok',
    files: { [VIDEO]: lines('{"item_id": 9007199254740993, "video_feature_dim_128": [0.5, 0.25]}') },
    pass: [TRAIN, VIDEO],
    message: /is beyond 2\^53 as a JSON number/,
    at: { file: VIDEO, line: 1, column: 'item_id' },
  },
  {
    name: 'video features: 1e999 in the vector',
    importer: 'tiktok',
    files: { [VIDEO]: lines('{"item_id": 3, "video_feature_dim_128": [0.5, 1e999]}') },
    pass: [TRAIN, VIDEO],
    message: /number 2 is out of range/,
    at: { file: VIDEO, line: 1, column: 'video_feature_dim_128' },
  },
  {
    name: 'video features: a string in the vector',
    importer: 'tiktok',
    files: { [VIDEO]: lines('{"item_id": 3, "video_feature_dim_128": [0.5, "0.25"]}') },
    pass: [TRAIN, VIDEO],
    message: /expected an array of numbers/,
    at: { file: VIDEO, line: 1, column: 'video_feature_dim_128' },
  },
  {
    name: 'video features: no item of the train file',
    importer: 'tiktok',
    files: { [VIDEO]: lines('{"item_id": 999, "video_feature_dim_128": [0.5, 0.25]}') },
    pass: [TRAIN, VIDEO],
    message: /none of its 1 items appear in the interactions/,
    at: { file: VIDEO },
  },
  {
    name: 'title features: negative count',
    importer: 'tiktok',
    files: { [TITLE]: lines('{"item_id": 3, "title_features": {"12": -1}}') },
    pass: [TRAIN, TITLE],
    message: /the count of token "12" is not a non-negative number/,
    at: { file: TITLE, line: 1, column: 'title_features' },
  },
];

const WECHAT_CASES: MalformedCase[] = [
  {
    name: 'user_action empty',
    importer: 'wechat',
    files: { [ACTION]: '' },
    message: /the file is empty/,
    at: { file: ACTION },
  },
  {
    name: 'feed_info empty',
    importer: 'wechat',
    files: { [FEED]: '' },
    message: /the file is empty/,
    at: { file: FEED },
  },
  {
    name: 'user_action header only',
    importer: 'wechat',
    files: { [ACTION]: lines(ACTION_HEADER) },
    message: /has a header but no rows/,
    at: { file: ACTION },
  },
  {
    name: 'feed_info header only',
    importer: 'wechat',
    files: { [FEED]: lines(FEED_HEADER) },
    message: /has a header but no feeds/,
    at: { file: FEED },
  },
  {
    name: 'feed_info not passed',
    importer: 'wechat',
    pass: [ACTION],
    message: /the WeChat import needs feed_info.csv/,
    at: { file: ACTION },
  },
  {
    name: 'column play missing',
    importer: 'wechat',
    files: { [ACTION]: lines('userid,feedid,date_,device', '1,1,1,1') },
    message: /missing column "play"; the header has: "userid, feedid, date_, device"/,
    at: { file: ACTION, line: 1, column: 'play' },
  },
  {
    name: 'semicolon-separated',
    importer: 'wechat',
    files: { [ACTION]: lines(ACTION_HEADER.replaceAll(',', ';'), '1;1;1;1;12000') },
    message: /missing column "userid" \(only one column found: is the separator right\?\)/,
    at: { file: ACTION, line: 1, column: 'userid' },
  },
  {
    name: 'duplicate header name in user_action',
    importer: 'wechat',
    files: { [ACTION]: lines('userid,feedid,date_,feedid,play', '1,1,1,2,12000') },
    message: /names column "feedid" twice, as columns 2 and 4/,
    at: { file: ACTION, line: 1 },
  },
  {
    name: 'duplicate header name in feed_info',
    importer: 'wechat',
    files: { [FEED]: lines('feedid,authorid,videoplayseconds,authorid', '1,10,15,11') },
    message: /names column "authorid" twice, as columns 2 and 4/,
    at: { file: FEED, line: 1 },
  },
  actionCase('fewer fields than the header', '1,1,1', /has 3 columns, fewer than the header/),
  actionCase('userid not a number', 'x,1,1,1,12000', /user id is not a non-negative integer: "x"/, 'userid'),
  actionCase('userid negative', '-1,1,1,1,12000', /user id is not a non-negative integer: "-1"/, 'userid'),
  actionCase('feed not in feed_info', '1,777,1,1,12000', /feed 777 is not in feed_info.csv/, 'feedid'),
  actionCase(
    'feed beyond 2^53 not in feed_info',
    '1,9007199254740993,1,1,12000',
    /feed 9007199254740993 is not in feed_info.csv/,
    'feedid',
  ),
  actionCase('date_ not a number', '1,1,Monday,1,12000', /not an integer day: "Monday"/, 'date_'),
  actionCase('date_ 400 digits', `1,1,${DIGITS_400},1,12000`, /the day is out of range/, 'date_'),
  actionCase('play 1e999', '1,1,1,1,1e999', /play is out of range: "1e999"/, 'play'),
  actionCase('play beyond float32 seconds', '1,1,1,1,1e300', /play is out of range: "1e300"/, 'play'),
  actionCase(
    'play Infinity',
    '1,1,1,1,Infinity',
    /play is not a non-negative number of milliseconds: "Infinity"/,
    'play',
  ),
  actionCase('play NaN', '1,1,1,1,NaN', /play is not a non-negative number of milliseconds: "NaN"/, 'play'),
  actionCase(
    'play negative',
    '1,1,1,1,-5',
    /play is not a non-negative number of milliseconds: "-5"/,
    'play',
  ),
  feedCase('feed twice', '1,12,20,,,', /feed 1 appears twice/, 'feedid'),
  feedCase('feedid not a number', 'x,12,20,,,', /feed id is not a non-negative integer: "x"/, 'feedid'),
  feedCase('bgm_song_id is text', '3,12,20,abc,,', /the id is not an integer: "abc"/, 'bgm_song_id'),
  feedCase(
    'bgm_singer_id is a fraction',
    '3,12,20,,1.5,',
    /the id is not an integer: "1.5"/,
    'bgm_singer_id',
  ),
  feedCase(
    'bgm_song_id beyond 2^53 as a decimal',
    '3,12,20,9007199254740993.0,,',
    /beyond 2\^53 written as a decimal/,
    'bgm_song_id',
  ),
  feedCase('videoplayseconds 1e999', '3,12,1e999,,,', /out of range: "1e999"/, 'videoplayseconds'),
  feedCase('videoplayseconds negative', '3,12,-1,,,', /not a non-negative number: "-1"/, 'videoplayseconds'),
  {
    name: 'invalid UTF-8 in feed_info',
    importer: 'wechat',
    files: { [FEED]: bytes(lines(...FEEDS), '3,12,20,', [0xe8], ',,\n') },
    message: /is not valid UTF-8: byte 0xe8 at byte 9 of the line/,
    at: { file: FEED, line: 4 },
  },
  {
    name: 'user_action gzipped',
    importer: 'wechat',
    files: { [ACTION]: gzipSync(Buffer.from(lines(...ACTIONS))) },
    message: /is a gzip file; decompress it first/,
    at: { file: ACTION },
  },
  {
    name: 'user_action a directory',
    importer: 'wechat',
    files: { [ACTION]: DIRECTORY },
    message: /is a directory/,
    at: { file: ACTION },
  },
  {
    name: 'feed embedding 1e999',
    importer: 'wechat',
    files: { [EMBEDDINGS]: lines('feedid,feed_embedding', `1,1e999 ${EMBEDDING}`) },
    pass: [ACTION, FEED, EMBEDDINGS],
    message: /out of range in the embedding: "1e999"/,
    at: { file: EMBEDDINGS, line: 2, column: 'feed_embedding' },
  },
  {
    name: 'feed embedding not a number',
    importer: 'wechat',
    files: { [EMBEDDINGS]: lines('feedid,feed_embedding', `1,abc ${EMBEDDING}`) },
    pass: [ACTION, FEED, EMBEDDINGS],
    message: /not a number in the embedding: "abc"/,
    at: { file: EMBEDDINGS, line: 2, column: 'feed_embedding' },
  },
  {
    name: 'feed embedding of 511 numbers',
    importer: 'wechat',
    files: { [EMBEDDINGS]: lines('feedid,feed_embedding', `1,${EMBEDDING.split(' ').slice(1).join(' ')}`) },
    pass: [ACTION, FEED, EMBEDDINGS],
    message: /expected 512 numbers, found 511/,
    at: { file: EMBEDDINGS, line: 2, column: 'feed_embedding' },
  },
  {
    name: 'feed embeddings of no feed of the interactions',
    importer: 'wechat',
    files: { [EMBEDDINGS]: lines('feedid,feed_embedding', `99,${EMBEDDING}`) },
    pass: [ACTION, FEED, EMBEDDINGS],
    message: /none of its 1 feeds appear in the interactions/,
    at: { file: EMBEDDINGS },
  },
];

const CASES: MalformedCase[] = [...CSV_CASES, ...JSONL_CASES, ...TIKTOK_CASES, ...WECHAT_CASES];

const caseName = (c: MalformedCase) => `${c.importer}: ${c.name}`;

/* ----------------------------------------------------------------------------------------------
 * The harness
 * -------------------------------------------------------------------------------------------- */

let root: string;
/** A lab (database and data folder) with one dataset stored; each case works on a copy of it. */
let seededLab: string;
/** The import worker bundled as the desktop app bundles it (electron.vite.config.ts). */
let workerEntry: URL;

/** Every file and folder under `dir` with the sha256 of each file's bytes. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (folder: string, prefix: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const key = `${prefix}${name}`;
      if (statSync(path).isDirectory()) {
        entries[`${key}/`] = 'folder';
        walk(path, `${key}/`);
      } else {
        entries[key] = createHash('sha256').update(readFileSync(path)).digest('hex');
      }
    }
  };
  walk(dir, '');
  return entries;
}

/** Control characters other than the newline, as code points. */
function controlCharacters(text: string): number[] {
  return [...text]
    .map((c) => c.charCodeAt(0))
    .filter((code) => code !== 0x0a && (code < 0x20 || (code >= 0x7f && code <= 0x9f)));
}

async function runCli(
  lab: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    onInterrupt: () => () => undefined,
  };
  const code = await importCommand([...args, '--db', join(lab, 'lab.db')], io, {
    importWorkerEntry: workerEntry,
  });
  return { code, stdout, stderr };
}

function writeCase(dir: string, files: Record<string, Content>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (content === DIRECTORY) mkdirSync(join(dir, name));
    else writeFileSync(join(dir, name), content);
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cascade-malformed-'));
  seededLab = join(root, 'seeded-lab');
  // Bundled once here, the worker starts in about a tenth of the time its tsx bootstrap takes,
  // which is what keeps a hundred imports within seconds.
  const bundle = join(root, 'worker');
  await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      ssr: fileURLToPath(new URL('../app/import-worker.ts', import.meta.url)),
      outDir: bundle,
      minify: false,
      rolldownOptions: { output: { format: 'es', entryFileNames: '[name].mjs' } },
    },
  });
  workerEntry = pathToFileURL(join(bundle, 'import-worker.mjs'));
  // One dataset stored, so there is a database and a data folder to keep as they are.
  writeCase(join(root, 'seed'), DEFAULTS.tiktok.files);
  const seeded = await runCli(seededLab, ['tiktok', join(root, 'seed', TRAIN)]);
  expect(seeded.stderr).not.toMatch(/cascade-lab import:/);
  expect(seeded.code).toBe(EXIT_OK);
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A case's files written to its folder, and its command-line arguments. */
function prepare(c: MalformedCase, index: number): { dir: string; args: string[] } {
  const dir = join(root, 'cases', String(index));
  const defaults = DEFAULTS[c.importer];
  writeCase(dir, { ...defaults.files, ...c.files });
  const format = c.importer === 'jsonl' ? 'csv' : c.importer;
  const paths = (c.pass ?? defaults.pass).map((name) => join(dir, name));
  return { dir, args: [format, ...paths, ...(c.args ?? defaults.args)] };
}

/** Where the message must say the problem is: `file, line N, column "c"`. */
function location(c: MalformedCase, dir: string): string {
  return [
    join(dir, c.at.file),
    ...(c.at.line !== undefined ? [`line ${c.at.line}`] : []),
    ...(c.at.column !== undefined ? [`column "${c.at.column}"`] : []),
  ].join(', ');
}

describe('cascade-lab import refuses malformed input and changes nothing', () => {
  it('has at least 70 cases across the three importers, each named once', () => {
    expect(new Set(CASES.map(caseName)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(70);
    for (const importer of ['csv', 'tiktok', 'wechat']) {
      const own = CASES.filter((c) => c.importer.replace('jsonl', 'csv') === importer);
      expect(own.length).toBeGreaterThanOrEqual(20);
    }
  });

  // Concurrent: each case has a lab of its own, and an import worker's start is partly waiting.
  CASES.forEach((c, index) => {
    it.concurrent(caseName(c), async ({ expect }) => {
      const { dir, args } = prepare(c, index);
      const lab = join(dir, 'lab');
      cpSync(seededLab, lab, { recursive: true });
      const before = snapshot(lab);

      const result = await runCli(lab, args);

      expect(result.code).toBe(EXIT_RUN_FAILED);
      const message = result.stderr.split('\n').find((line) => line.startsWith('cascade-lab import: '));
      const where = `cascade-lab import: ${location(c, dir)}: `;
      expect(message?.startsWith(where), `${message} should start with ${where}`).toBe(true);
      expect(message?.slice(where.length)).toMatch(c.message);
      // Short, and nothing in stderr a terminal would act on.
      expect(message?.length).toBeLessThan(700);
      expect(controlCharacters(result.stderr)).toEqual([]);
      expect(result.stderr).toContain('Nothing was stored; the database is as it was.');
      expect(snapshot(lab)).toEqual(before);
    });
  });
});

describe('cascade-lab import keeps valid input exactly', () => {
  it('stores users 9007199254740993 and 9007199254740992 as two, and valid "café" spellings as three items', async () => {
    const dir = join(root, 'exact');
    writeCase(dir, {
      'log.csv': lines(
        'user,item,label',
        '9007199254740993,café,1',
        '9007199254740992,cafe\u0301,0',
        '7,cafè,1',
      ),
    });
    const lab = join(dir, 'lab');
    const result = await runCli(lab, [
      'csv',
      join(dir, 'log.csv'),
      '--user',
      'user',
      '--item',
      'item',
      '--label',
      'label',
      '--json',
      join(dir, 'summary.json'),
    ]);
    expect(result.stderr).not.toMatch(/cascade-lab import:/);
    expect(result.code).toBe(EXIT_OK);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
      users: number;
      items: number;
      path: string;
    };
    expect(summary).toMatchObject({ users: 3, items: 3 });
    const meta = JSON.parse(readFileSync(join(summary.path, 'meta.json'), 'utf8')) as {
      userRawIds: unknown[];
      itemRawIds: unknown[];
    };
    expect(meta.userRawIds).toEqual(['9007199254740993', '9007199254740992', 7]);
    expect(meta.itemRawIds).toEqual(['café', 'cafe\u0301', 'cafè']);
  });
});

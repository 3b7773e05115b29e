/**
 * A strict RFC 4180 reader for checking our CSV exports: records end with
 * CRLF (the last one too), a quoted field may hold anything with `""` for a
 * quote, an unquoted field may hold no quote, CR or LF, and every record has
 * as many fields as the first. Anything else throws, naming the offset.
 */
export function parseCsvStrict(input: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`Invalid CSV at offset ${i}: ${why}`);
  };
  if (input.length === 0) return records;
  for (;;) {
    let field = "";
    if (input[i] === '"') {
      i++;
      for (;;) {
        if (i >= input.length) fail("unterminated quoted field");
        const c = input[i]!;
        if (c === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
    } else {
      while (i < input.length && input[i] !== "," && input[i] !== "\r") {
        const c = input[i]!;
        if (c === '"') fail("quote inside an unquoted field");
        if (c === "\n") fail("bare LF outside quotes");
        field += c;
        i++;
      }
    }
    record.push(field);
    if (input[i] === ",") {
      i++;
      continue;
    }
    if (input[i] === "\r" && input[i + 1] === "\n") {
      i += 2;
      records.push(record);
      if (records.length > 1 && record.length !== records[0]!.length) {
        fail(`record ${records.length} has ${record.length} fields, not ${records[0]!.length}`);
      }
      record = [];
      if (i === input.length) return records;
      continue;
    }
    fail(i >= input.length ? "the last record does not end with CRLF" : "expected , or CRLF");
  }
}

/*
  netcourt: active content that an evidence file must not carry.

  netcourt.evidence.scan runs these rules over a file in overlapping windows (8 MiB with a
  64 KiB overlap by default), never over the whole file at once. A PDF is split as it is read:
  its structure (everything outside stream bodies) is one sequence of windows; each stream
  body is scanned on its own: inflated when it is zlib (FlateDecode) data, raw otherwise. So every
  rule is window-safe:

    - no `filesize`, no `#`/`@` counts or offsets, no `in (a..b)` ranges: a window does not know
      where it sits in the file;
    - strings are short (well under the overlap), so one that straddles a window boundary is
      still whole in the next window;
    - what depends on the start of the file reads offset 0 only when `first_window` is true.

  External variables, set by scan.py for every window:

    mime          libmagic's MIME type of the whole file, decided from its first bytes
    first_window  true only for the window that starts at offset 0 of the file
    pdf_like      true when mime is application/pdf or "%PDF-" occurs in the first 1024 bytes
                  (where PDF readers look for it, so a JPEG/PDF polyglot counts as a PDF)
    in_stream     true for the bytes of a PDF stream body (raw or inflated) other than an
                  object stream's: image, font and page data. Three-letter names such as /JS
                  occur by chance in binary data (a few times per GiB of random bytes even with
                  the value context below), so they are looked for only where dictionaries are:
                  outside streams and in object streams. The long names (/JavaScript, which
                  every JavaScript action needs as its /S, /Launch, /EmbeddedFile...) are
                  looked for everywhere.

  Rules are tied to a MIME type (or to pdf_like), so that a text file about "/JavaScript" or
  "vbaProject.bin" is not refused.

  A rule's name is the stable `rule` reported in a refusal's detail; ScanPolicy.disabled_rules
  takes these names.
*/

/*
  PDF rules match a name in its plain form. A name may also be written with any character as
  a #xx hex escape (/J#61vaScript is /JavaScript to a PDF reader). Matching every escaped
  spelling directly would need regular expressions with weak atoms that slow the scan of
  every PDF down to a few tens of MB/s, so escapes are found in two steps:

    1. pdf_hex_escaped_name finds a name that escapes an ASCII letter (only obfuscation does
       that; producers escape delimiters, white space and non-ASCII bytes, such as GBK font
       names like /#CB#CE#CC#E5). It is a hint, not a refusal;
    2. for a window it matches, scan.py decodes each such name in the window and runs these
       same rules over the decoded names, each between the 128 bytes before it and the 32
       after it (with the same externals), so /J#61vaScript is refused by pdf_javascript.
       More than 10,000 such names in a file are refused as pdf_escape_limit.

  A name longer than 15 letters before its first escape is not hinted; the longest name the
  rules look for, /FileAttachment, needs 13.
*/

rule pdf_hex_escaped_name
{
    meta:
        description = "hint: a PDF name with a hex-escaped ASCII letter (decoded and scanned again)"

    strings:
        $letter_4x = /\/[A-Za-z]{0,15}#4[1-9A-Fa-f]/
        $letter_5x = /\/[A-Za-z]{0,15}#5[0-9Aa]/
        $letter_6x = /\/[A-Za-z]{0,15}#6[1-9A-Fa-f]/
        $letter_7x = /\/[A-Za-z]{0,15}#7[0-9Aa]/

    condition:
        pdf_like and any of them
}

rule pdf_javascript
{
    meta:
        description = "PDF with JavaScript: a /JavaScript or /JS name, or an XFA form script in JavaScript"

    strings:
        $javascript = "/JavaScript"
        // /JS in a dictionary (a "<<" at most 128 bytes before) and its value: a string, a hex
        // string or an indirect reference. Without that context, random bytes outside
        // streams would hold one by chance every few GiB.
        $js = /<<[\x00-\xff]{0,128}\/JS[\x00\x09\x0a\x0c\x0d\x20]{0,8}(\(|<[^<]|[0-9]{1,10}[\x00\x09\x0a\x0c\x0d\x20]{1,8}[0-9]{1,5}[\x00\x09\x0a\x0c\x0d\x20]{1,8}R)/
        $xfa_script = /contentType\s*=\s*["']application\/x-javascript/ nocase

    condition:
        pdf_like and ($javascript or $xfa_script or ($js and not in_stream))
}

rule pdf_launch_action
{
    meta:
        description = "PDF with a /Launch action (runs a program or opens a file)"

    strings:
        $launch = "/Launch"

    condition:
        pdf_like and $launch
}

/*
  Embedded files are refused by default: an attachment inside a PDF is a second file that
  escapes the type and active-content checks and is not shown by the court's viewer. A party
  files each attachment as its own evidence item. Courts that accept PDF/A-3 e-invoices
  (ZUGFeRD / Factur-X carry their XML this way) can disable this rule in their ScanPolicy.
*/
rule pdf_embedded_file
{
    meta:
        description = "PDF with an embedded file (/EmbeddedFile, /EmbeddedFiles, /EF or a /FileAttachment annotation)"

    strings:
        $embedded_file = "/EmbeddedFile"
        // /EF and its value: a dictionary or an indirect reference
        $ef = /\/EF[\x00\x09\x0a\x0c\x0d\x20]{0,8}(<<|[0-9]{1,10}[\x00\x09\x0a\x0c\x0d\x20]{1,8}[0-9]{1,5}[\x00\x09\x0a\x0c\x0d\x20]{1,8}R)/
        $file_attachment = "/FileAttachment"

    condition:
        pdf_like and ($embedded_file or $file_attachment or ($ef and not in_stream))
}

rule office_vba_macros
{
    meta:
        description = "Office document with VBA macros (OLE _VBA_PROJECT stream, OOXML vbaProject.bin part)"

    strings:
        $ole_vba = "_VBA_PROJECT" ascii wide
        $ooxml_vba = "vbaProject.bin" nocase
        $ooxml_vba_type = "application/vnd.ms-office.vbaProject" nocase

    condition:
        (
            mime == "application/zip"
            or mime == "application/msword"
            or mime == "application/x-ole-storage"
            or mime == "application/CDFV2"
            or mime startswith "application/vnd.openxmlformats-officedocument."
            or mime startswith "application/vnd.ms-"
        )
        and any of them
}

/*
  Executables are refused by type already (libmagic names them application/x-executable,
  application/vnd.microsoft.portable-executable, ...); this rule is defence in depth should an
  executable type ever be allowed by mistake, or libmagic miss one.
*/
rule executable
{
    meta:
        description = "Executable program (PE, ELF or Mach-O)"

    condition:
        (
            first_window and (
                // PE: "MZ", then the "PE\0\0" signature where e_lfanew points
                (uint16(0) == 0x5A4D and uint32(0x3C) < 0x100000 and uint32(uint32(0x3C)) == 0x00004550)
                // ELF
                or uint32(0) == 0x464C457F
                // Mach-O, 32 and 64 bit, either byte order; universal (fat) binaries
                or uint32(0) == 0xFEEDFACE or uint32(0) == 0xFEEDFACF
                or uint32(0) == 0xCEFAEDFE or uint32(0) == 0xCFFAEDFE
                or uint32be(0) == 0xCAFEBABE
            )
        )
        or mime == "application/x-dosexec"
        or mime == "application/vnd.microsoft.portable-executable"
        or mime == "application/x-executable"
        or mime == "application/x-pie-executable"
        or mime == "application/x-sharedlib"
        or mime == "application/x-mach-binary"
}

/*
  HTML, SVG and XML are not allowed by default; if a court allows them, script in them is
  refused.
*/
rule markup_script
{
    meta:
        description = "HTML, SVG or XML with script: a <script> element, a javascript: URL or an on...= event handler"

    strings:
        $script = /<script[\s>\/]/ nocase
        $javascript_url = /javascript\s*:/ nocase
        $handler = /\son[a-z]{3,24}\s*=/ nocase
        $foreign_object = "<foreignObject" nocase

    condition:
        (
            mime == "text/html"
            or mime == "application/xhtml+xml"
            or mime == "image/svg+xml"
            or mime == "text/xml"
            or mime == "application/xml"
        )
        and any of them
}

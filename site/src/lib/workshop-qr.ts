/**
 * The join link as a QR code, drawn in the browser as SVG (qrcode-generator: no network, no
 * canvas). Dark modules on white with a quiet zone, so phones read it off a projector.
 */
import qrcode from 'qrcode-generator';

/** An SVG element string for `text`; `cell` px per module, 4 modules of quiet zone. */
export function qrSvg(text: string, cell = 6): string {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const size = (n + 8) * cell;
  let path = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) path += `M${(c + 4) * cell},${(r + 4) * cell}h${cell}v${cell}h-${cell}z`;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" aria-hidden="true" focusable="false">` +
    `<rect width="100%" height="100%" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  );
}

/** Module count of the code for `text` (tests: a longer link makes a bigger code). */
export function qrModules(text: string): number {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  return qr.getModuleCount();
}

//! Parquet tables, plots (SVG and PNG, drawn with plotters) and a static
//! report.html for a scenario ensemble.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use plotters::coord::Shift;
use plotters::prelude::*;

use careersim::ensemble::{EnsembleSpec, Reported, Row, RunValues, report_months};
use careersim::rules::Rules;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const SIZE: (u32, u32) = (960, 540);

fn opt(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn parquet_bytes(batch: RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None)?;
    w.write(&batch)?;
    w.close()?;
    Ok(out)
}

fn rows_parquet(rows: &[Row]) -> Result<Vec<u8>> {
    let s =
        |f: &dyn Fn(&Row) -> String| Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef;
    let n = |f: &dyn Fn(&Row) -> f64| {
        Arc::new(Float64Array::from(rows.iter().map(|r| opt(f(r))).collect::<Vec<_>>())) as ArrayRef
    };
    let schema = Schema::new(vec![
        Field::new("scenario", DataType::Utf8, false),
        Field::new("series", DataType::Utf8, false),
        Field::new("date", DataType::Utf8, false),
        Field::new("mean", DataType::Float64, true),
        Field::new("q05", DataType::Float64, true),
        Field::new("q50", DataType::Float64, true),
        Field::new("q95", DataType::Float64, true),
        Field::new("sd_monte_carlo", DataType::Float64, true),
        Field::new("sd_parameter", DataType::Float64, true),
    ]);
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            s(&|r| r.scenario.clone()),
            s(&|r| r.series.clone()),
            s(&|r| r.date.to_string()),
            n(&|r| r.stats.mean),
            n(&|r| r.stats.q05),
            n(&|r| r.stats.q50),
            n(&|r| r.stats.q95),
            n(&|r| r.sd_monte_carlo),
            n(&|r| r.sd_parameter),
        ],
    )?;
    parquet_bytes(batch)
}

fn runs_parquet(spec: &EnsembleSpec, rules: &Rules, runs: &[RunValues], series: &[Reported]) -> Result<Vec<u8>> {
    let months = report_months(spec.months);
    let (mut sc, mut dr, mut pa, mut re, mut se, mut name, mut date, mut val) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in runs {
        for (k, rep) in series.iter().enumerate() {
            for (mi, &m) in months.iter().enumerate() {
                sc.push(spec.scenarios[r.scenario].name.clone());
                dr.push(r.draw as u32);
                pa.push(r.particle.map(|p| p as u32));
                re.push(r.replicate as u32);
                se.push(r.seed);
                name.push(rep.id.name.clone());
                date.push(rules.start.plus(m).to_string());
                val.push(opt(r.values[k * months.len() + mi]));
            }
        }
    }
    let schema = Schema::new(vec![
        Field::new("scenario", DataType::Utf8, false),
        Field::new("draw", DataType::UInt32, false),
        Field::new("particle", DataType::UInt32, true),
        Field::new("replicate", DataType::UInt32, false),
        Field::new("seed", DataType::UInt64, false),
        Field::new("series", DataType::Utf8, false),
        Field::new("date", DataType::Utf8, false),
        Field::new("value", DataType::Float64, true),
    ]);
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from(sc)),
            Arc::new(UInt32Array::from(dr)),
            Arc::new(UInt32Array::from(pa)),
            Arc::new(UInt32Array::from(re)),
            Arc::new(UInt64Array::from(se)),
            Arc::new(StringArray::from(name)),
            Arc::new(StringArray::from(date)),
            Arc::new(Float64Array::from(val)),
        ],
    )?;
    parquet_bytes(batch)
}

/// A chart drawn on any plotters backend.
type Draw<'a> = dyn Fn(&DrawingArea<SVGBackend, Shift>) -> Result<()> + 'a;

/// Renders one chart as SVG and PNG. The chart is drawn by `svg` on the SVG
/// backend and by `png` on the bitmap backend (plotters backends differ in
/// type, so the caller passes the same drawing code twice via a macro).
fn both(
    name: &str,
    svg_draw: &Draw,
    png_draw: &dyn Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        svg_draw(&root)?;
        root.present().map_err(|e| anyhow!("{name}.svg: {e}"))?;
    }
    let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        png_draw(&root)?;
        root.present().map_err(|e| anyhow!("{name}.png: {e}"))?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new_with_quality(
            &mut png,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        ),
        &rgb,
        SIZE.0,
        SIZE.1,
        image::ColorType::Rgb8,
    )?;
    Ok(vec![
        (format!("plots/{name}.svg"), svg.into_bytes()),
        (format!("plots/{name}.png"), png),
    ])
}

fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
}

/// Fan chart: mean line and 5-95% band per scenario over time; scenario i
/// is drawn in colour `first_color + i`.
fn fan<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    (scenarios, first_color): (&[String], usize),
    data: &[Vec<(f64, f64, f64, f64)>],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let xs: Vec<f64> = data.iter().flatten().filter(|p| p.2.is_finite()).map(|p| p.0).collect();
    let lo = data
        .iter()
        .flatten()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let hi = data
        .iter()
        .flatten()
        .map(|p| p.3)
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if xs.is_empty() || !lo.is_finite() || !hi.is_finite() {
        return Ok(());
    }
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let pad = ((hi - lo) * 0.05).max(1e-9);
    let decimals = if hi - lo < 20.0 { 1 } else { 0 };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1.max(x0 + 1e-9), (lo - pad)..(hi + pad))
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("year")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.decimals$}"))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (i, (name, pts)) in scenarios.iter().zip(data).enumerate() {
        let c = color(first_color + i);
        let band: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (p.0, p.3))
            .chain(pts.iter().rev().map(|p| (p.0, p.1)))
            .filter(|p| p.1.is_finite())
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, c.mix(0.15))))
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().filter(|p| p.2.is_finite()).map(|p| (p.0, p.2)),
                c.stroke_width(2),
            ))
            .map_err(|e| anyhow!("{e}"))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Space above and below each difference bar, in pixels.
const BAR_GAP_PX: u32 = 14;

/// Difference-from-baseline bars (horizontal, one per scenario) with 5-95%
/// whiskers. The y axis has one segment per scenario (`0..n - 1` segmented
/// holds n segments).
fn bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, rows: &[(String, f64, f64, f64)]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let vals: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.1, r.2, r.3, 0.0])
        .filter(|v| v.is_finite())
        .collect();
    let lo = vals.iter().copied().fold(0.0, f64::min);
    let hi = vals.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.08).max(1e-9);
    let n = rows.len().max(1) as i32;
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(250)
        .build_cartesian_2d((lo - pad)..(hi + pad), (0..n - 1).into_segmented())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows.len().max(1))
        .y_label_style(("sans-serif", 14))
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .x_desc("difference from baseline (bar: mean; line: 5-95%)")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (i, r) in rows.iter().enumerate() {
        if !r.1.is_finite() {
            continue;
        }
        let c = color(i + 1);
        let i = i as i32;
        chart
            .draw_series(std::iter::once({
                let mut bar = Rectangle::new(
                    [(0.0, SegmentValue::Exact(i)), (r.1, SegmentValue::Exact(i + 1))],
                    c.mix(0.7).filled(),
                );
                bar.set_margin(BAR_GAP_PX, BAR_GAP_PX, 0, 0);
                bar
            }))
            .map_err(|e| anyhow!("{e}"))?;
        if r.2.is_finite() && r.3.is_finite() {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(r.2, SegmentValue::CenterOf(i)), (r.3, SegmentValue::CenterOf(i))],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| anyhow!("{e}"))?;
        }
    }
    Ok(())
}

/// The KPIs of the difference bars: (series, label).
const KPIS: &[(&str, &str)] = &[
    ("share.ltft.in_training", "LTFT share of trainees"),
    ("count.pause_returns.all", "returns from pause (a year)"),
    ("count.ccts.all", "CCTs awarded (a year)"),
    ("time_to_cct.all", "mean time to CCT of the year's CCTs (months)"),
    ("rate.leaver.nurse", "nurse leaver rate"),
    ("rate.leaver.doctor", "doctor leaver rate"),
    ("headcount.nurse", "nurses in employment"),
    ("fte.gp", "GP FTE"),
    (
        "vacancies.nurse",
        "vacancy gap: nurse vacancies (FTE against the funded establishment)",
    ),
    ("rate.vacancy.nurse", "nurse vacancy rate"),
    (
        "count.unfilled_posts.all",
        "vacancy gap: unfilled training posts (a year)",
    ),
];

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Per scenario, (decimal year, 5%, mean, 95%) of a series over time.
fn over_time(rows: &[Row], scenarios: &[String], series: &str) -> Vec<Vec<(f64, f64, f64, f64)>> {
    let year = |d: careersim::calendar::YearMonth| d.year as f64 + (d.month as f64 - 1.0) / 12.0;
    scenarios
        .iter()
        .map(|s| {
            rows.iter()
                .filter(|r| &r.scenario == s && r.series == series)
                .map(|r| (year(r.date), r.stats.q05, r.stats.mean, r.stats.q95))
                .collect()
        })
        .collect()
}

/// Parquet tables, plots and report.html.
pub fn render(
    spec: &EnsembleSpec,
    rules: &Rules,
    summary: &[Row],
    difference: &[Row],
    runs: &[RunValues],
    series: &[Reported],
) -> Result<Vec<(String, Vec<u8>)>> {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    let mut files = vec![
        ("summary.parquet".to_string(), rows_parquet(summary)?),
        ("difference.parquet".to_string(), rows_parquet(difference)?),
        ("runs.parquet".to_string(), runs_parquet(spec, rules, runs, series)?),
    ];
    let names: Vec<String> = spec.scenarios.iter().map(|s| s.name.clone()).collect();
    let mut fans = Vec::new();
    for g in &rules.groups {
        let vacancies: &[&str] = if g.establishment.is_some() { &["vacancies"] } else { &[] };
        for &m in ["fte", "headcount"].iter().chain(vacancies) {
            let data = over_time(summary, &names, &format!("{m}.{}", g.name));
            let what = match m {
                "fte" => "FTE",
                "headcount" => "headcount",
                _ => "vacancies (FTE)",
            };
            let title = format!("{} {what} by scenario (mean, 5-95%)", g.name);
            let file = format!("fan_{m}_{}", g.name);
            files.extend(both(&file, &|r| fan(r, &title, (&names, 0), &data), &|r| {
                fan(r, &title, (&names, 0), &data)
            })?);
            fans.push((file, title));
        }
    }
    let last = rules.start.plus(spec.months);
    let mut bar_files = Vec::new();
    // The pooled time to CCT, then one bar chart per CCT-awarding grade.
    let per_grade: Vec<(String, String)> = rules
        .grades
        .iter()
        .filter(|g| g.awards_cct)
        .map(|g| {
            (
                format!("time_to_cct.{}", g.name),
                format!("mean time to CCT of the year's CCTs in {} (months)", g.name),
            )
        })
        .collect();
    let kpis = KPIS
        .iter()
        .map(|&(k, l)| (k.to_string(), l.to_string()))
        .flat_map(|kl| {
            let extra = if kl.0 == "time_to_cct.all" {
                per_grade.clone()
            } else {
                vec![]
            };
            std::iter::once(kl).chain(extra)
        });
    for (kpi, label) in kpis {
        let rows: Vec<(String, f64, f64, f64)> = difference
            .iter()
            .filter(|r| r.series == *kpi && r.date == last)
            .map(|r| (r.scenario.clone(), r.stats.mean, r.stats.q05, r.stats.q95))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let title = format!("{label}, {last}: difference from baseline");
        let file = format!("diff_{}", kpi.replace(['.', '@'], "_"));
        files.extend(both(&file, &|r| bars(r, &title, &rows), &|r| bars(r, &title, &rows))?);
        bar_files.push((file, title, rows));
    }
    // Effects that build up as cohorts pass through: the paired difference
    // of each year's value over time.
    let mut trends = Vec::new();
    let others = &names[1..];
    let trend_kpis = std::iter::once("time_to_cct.all".to_string()).chain(per_grade.iter().map(|p| p.0.clone()));
    for kpi in trend_kpis {
        let data = over_time(difference, others, &kpi);
        if data.iter().all(|d| d.is_empty()) {
            continue;
        }
        let pathway = kpi.strip_prefix("time_to_cct.").unwrap_or(&kpi);
        let title = format!("time to CCT, {pathway}: difference by year of CCT (months; mean, 5-95%)");
        let file = format!("trend_{}", kpi.replace(['.', '@'], "_"));
        files.extend(both(&file, &|r| fan(r, &title, (others, 1), &data), &|r| {
            fan(r, &title, (others, 1), &data)
        })?);
        trends.push((file, title));
    }

    // report.html
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>careersim scenarios</title>\n<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto;line-height:1.4}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}img{{max-width:100%}}</style></head><body>\n<h1>careersim scenarios</h1>\n<p>{} from {} to {last}; {} replicates per scenario{}, common random numbers (replicate r uses the same seed in every scenario). Intervals are 5-95% over runs; differences are paired by replicate.</p>\n",
        html_escape(&rules.name),
        rules.start,
        spec.replicates,
        spec.posterior.map_or(String::new(), |p| format!(
            " x {} parameter draws from the calibration posterior",
            p.2
        )),
    );
    h.push_str("<h2>Scenarios</h2>\n<table><tr><th>scenario</th><th>question</th><th>policy and levers</th></tr>\n");
    for s in &spec.scenarios {
        let levers: Vec<String> = s
            .levers
            .iter()
            .map(|l| format!("from {}: {}", l.from, html_escape(&l.describe().join(", "))))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}<br><small>{}</small></td></tr>",
            html_escape(&s.name),
            html_escape(&s.description),
            html_escape(&s.policy),
            levers.join("<br>")
        );
    }
    h.push_str("</table>\n<h2>Differences from baseline at the end</h2>\n<table><tr><th>KPI</th>");
    for s in names.iter().skip(1) {
        let _ = write!(h, "<th>{}</th>", html_escape(s));
    }
    h.push_str("</tr>\n");
    for (_, title, rows) in &bar_files {
        let _ = write!(
            h,
            "<tr><td>{}</td>",
            html_escape(title.split(',').next().unwrap_or(title))
        );
        for s in names.iter().skip(1) {
            match rows.iter().find(|r| &r.0 == s) {
                Some(r) => {
                    let _ = write!(h, "<td>{:.4} <small>[{:.4}, {:.4}]</small></td>", r.1, r.2, r.3);
                }
                None => h.push_str("<td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    if spec.posterior.is_some() {
        h.push_str("<h2>Monte-Carlo and parameter uncertainty at the end</h2>\n<p>Standard deviations over runs: within parameter draws (Monte-Carlo) and between draw means (parameter).</p>\n<table><tr><th>scenario</th><th>series</th><th>mean</th><th>5-95%</th><th>SD Monte-Carlo</th><th>SD parameter</th></tr>\n");
        for r in summary
            .iter()
            .filter(|r| r.date == last && r.series.starts_with("fte.") && !r.series.contains('@'))
        {
            if rules.group_index(&r.series[4..]).is_none() {
                continue;
            }
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:.0}</td><td>[{:.0}, {:.0}]</td><td>{:.0}</td><td>{:.0}</td></tr>",
                html_escape(&r.scenario),
                html_escape(&r.series),
                r.stats.mean,
                r.stats.q05,
                r.stats.q95,
                r.sd_monte_carlo,
                r.sd_parameter
            );
        }
        h.push_str("</table>\n");
    }
    let bar_plots: Vec<(String, String)> = bar_files.iter().map(|(f, t, _)| (f.clone(), t.clone())).collect();
    for (heading, plots) in [
        ("Difference bars", &bar_plots),
        ("Differences over time", &trends),
        ("Fan charts", &fans),
    ] {
        let _ = writeln!(h, "<h2>{heading}</h2>");
        for (file, title) in plots {
            let _ = writeln!(
                h,
                "<h3>{}</h3><img src=\"plots/{file}.svg\" alt=\"{}\"> <a href=\"plots/{file}.png\">PNG</a>",
                html_escape(title),
                html_escape(title)
            );
        }
    }
    h.push_str("<h2>Tables</h2>\n<ul>\n<li><a href=\"summary.csv\">summary.csv</a> / <a href=\"summary.parquet\">summary.parquet</a>: per scenario, series and date: mean, 5/50/95% quantiles, Monte-Carlo and parameter standard deviations</li>\n<li><a href=\"difference.csv\">difference.csv</a> / <a href=\"difference.parquet\">difference.parquet</a>: the same for the paired difference from the baseline</li>\n<li><a href=\"runs.csv\">runs.csv</a> / <a href=\"runs.parquet\">runs.parquet</a>: every run's value</li>\n<li><a href=\"manifest.json\">manifest.json</a>: command, seeds, levers, timings</li>\n</ul>\n</body></html>\n");
    files.push(("report.html".into(), h.into_bytes()));
    Ok(files)
}

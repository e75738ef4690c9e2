//! One panel per attack: test accuracy against the number of Byzantine workers, a line per rule.

use crate::attacks::Attack;
use byzvote_aggregate::Rule;
use plotters::prelude::*;

type Results = [(Option<Attack>, usize, Vec<Option<f64>>)];

pub fn draw(path: &std::path::Path, results: &Results) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1500, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((2, 3));
    let colours = [
        BLACK,
        RED,
        BLUE,
        GREEN,
        MAGENTA,
        CYAN,
        RGBColor(255, 140, 0),
        RGBColor(128, 0, 128),
        RGBColor(128, 128, 0),
    ];
    for (panel, attack) in panels.iter().zip(Attack::ALL) {
        let mut chart = ChartBuilder::on(panel)
            .caption(attack.name(), ("sans-serif", 22))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(0.5f64..4.5f64, 0f64..100f64)?;
        chart
            .configure_mesh()
            .x_desc("Byzantine workers f (of 10)")
            .y_desc("test accuracy %")
            .x_labels(4)
            .draw()?;
        for (r, rule) in Rule::ALL.iter().enumerate() {
            let points: Vec<(f64, f64)> = results
                .iter()
                .filter(|(a, _, _)| *a == Some(attack))
                .filter_map(|(_, f, row)| row[r].map(|acc| (*f as f64, 100.0 * acc)))
                .collect();
            let colour = colours[r % colours.len()];
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
                .label(rule.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
        }
        if attack == Attack::SignFlip {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
    }
    // Sixth panel: the no-attack baseline per rule, as text.
    if let (Some(panel), Some((_, _, row))) =
        (panels.get(5), results.iter().find(|r| r.0.is_none()))
    {
        panel.draw(&Text::new(
            "no attack (f = 0):",
            (20, 30),
            ("sans-serif", 22),
        ))?;
        for (r, rule) in Rule::ALL.iter().enumerate() {
            let text = format!(
                "{:<18} {}",
                rule.name(),
                row[r].map_or("-".into(), |a| format!("{:.1}%", 100.0 * a))
            );
            panel.draw(&Text::new(
                text,
                (30, 65 + 30 * r as i32),
                ("monospace", 18),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}

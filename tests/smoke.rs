use hypobus::client::Mode;
use hypobus::lab::{Lab, LabConfig};

#[test]
fn smoke() {
    let lab = Lab::start(&LabConfig::default()).unwrap();
    let mut c = lab.client(Mode::Tagged).unwrap();
    assert_eq!(c.hypot("12", "13").unwrap(), "17.6918");
    assert_eq!(c.hypot("3", "4").unwrap(), "5.0000");
    assert_eq!(c.hypot("1.5", "2").unwrap(), "2.5000");
    let t = std::time::Instant::now();
    for _ in 0..1000 { c.hypot("3", "4").unwrap(); }
    eprintln!("1000 seq in {:?} stats {:?} calc {:?}", t.elapsed(), c.stats(), lab.calc.stats());
    let mut k = lab.client(Mode::Classic).unwrap();
    assert_eq!(k.hypot("12", "13").unwrap(), "17.6918");
}
